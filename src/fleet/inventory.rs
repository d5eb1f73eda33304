//! Reading the objects of a Flux inventory that fleetdeck does not watch (issue 15, item 1): each entry of a
//! Kustomization's or HelmRelease's `status.inventory.entries` (`<namespace>_<name>_<group>_<kind>` at
//! version `v`) is read from its API server and judged by kstatus's rules ([`crate::model::status::health`]):
//! found with its health, gone (`not found`: drift), or unreadable (the kind is not served, RBAC forbids
//! the read, the server did not answer). Secrets are read as metadata only: their data never leaves the
//! server. The versions and plurals come from the server's discovery, once per group/version.
use std::collections::HashMap;

use futures::StreamExt;
use kube::core::{ApiResource, GroupVersionKind};

use super::served::{Served, served};

use crate::model::flux_tree::ObjMetadata;
use crate::model::inventory::{Overlay, Probe};
use crate::model::status::{Health, HealthState, health};

/// How many reads run at once against one API server.
pub const CONCURRENCY: usize = 16;

pub use crate::model::inventory::EntryState;

/// One inventory entry and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryHealth {
    /// The entry's identity, as its inventory id encodes it.
    pub entry: ObjMetadata,
    /// Found with its health, not found, or unreadable.
    pub state: EntryState,
}

/// Reads every entry (with the version the inventory recorded for it) through `client`, at most
/// [`CONCURRENCY`] at a time, and returns their states in the entries' order. Never fails as a whole: an
/// entry that cannot be read says why in its own state.
pub async fn read(client: &kube::Client, entries: &[(ObjMetadata, String)]) -> Vec<EntryHealth> {
    let gvks = entries.iter().map(|(e, version)| GroupVersionKind::gvk(&e.group, version, &e.kind));
    let kinds = served(client, gvks).await;
    // Collected first: a stream over a borrowing closure is not `Send` (rust-lang/rust#102211), and the
    // cockpit reads on a spawned task.
    let reads: Vec<_> = entries
        .iter()
        .map(|(e, version)| {
            let kind = kinds.get(&(e.group.clone(), version.clone(), e.kind.clone())).cloned();
            read_entry(client, e, kind)
        })
        .collect();
    futures::stream::iter(reads).buffered(CONCURRENCY).collect().await
}

async fn read_entry(client: &kube::Client, e: &ObjMetadata, kind: Option<Served>) -> EntryHealth {
    let state = match kind {
        Some(Ok((ar, namespaced))) => read_one(client, e, &ar, namespaced).await,
        Some(Err(why)) => EntryState::Unreadable(format!("not served: {why}")),
        None => EntryState::Unreadable("not served".into()),
    };
    EntryHealth { entry: e.clone(), state }
}

async fn read_one(client: &kube::Client, e: &ObjMetadata, ar: &ApiResource, namespaced: bool) -> EntryState {
    if namespaced && e.namespace.is_empty() {
        // The id names no namespace for a namespaced kind (cli-utils accepts such ids): nothing to GET.
        return EntryState::Unreadable(format!("{} is namespaced; the inventory id names no namespace", e.kind));
    }
    let api = super::served::api(client, ar, namespaced, &e.namespace);
    let unreadable = |err: kube::Error| match err {
        kube::Error::Api(s) if s.code == 403 => EntryState::Unreadable(format!("forbidden: {}", s.message)),
        err => EntryState::Unreadable(crate::fleet::describe(&err)),
    };
    if e.group.is_empty() && e.kind == "Secret" {
        return match api.get_metadata_opt(&e.name).await {
            Ok(Some(_)) => EntryState::Found(Health::new(HealthState::Ready, "", "exists")),
            Ok(None) => EntryState::NotFound,
            Err(err) => unreadable(err),
        };
    }
    match api.get_opt(&e.name).await {
        Ok(Some(obj)) => EntryState::Found(health(&e.group, &e.kind, &obj)),
        Ok(None) => EntryState::NotFound,
        Err(err) => unreadable(err),
    }
}

/// Reads every probe in its own context, the contexts at once: `clients` maps each probe's context to a
/// client or to why there is none (every probe there is then [`EntryState::Unreadable`] with that reason).
/// Returns the overlay for the tree, by node id.
pub async fn read_probes(clients: &HashMap<String, Result<kube::Client, String>>, probes: &[Probe]) -> Overlay {
    let mut by_context: HashMap<String, Vec<Probe>> = HashMap::new();
    for p in probes {
        by_context.entry(p.context.clone()).or_default().push(p.clone());
    }
    let reads = by_context.into_iter().map(|(ctx, ps)| {
        let client = clients.get(&ctx).cloned().unwrap_or_else(|| Err(format!("no client for context {ctx}")));
        read_context(client, ps)
    });
    let states = futures::future::join_all(reads).await.into_iter().flatten().collect();
    Overlay { states }
}

/// The states of `probes` (all in one context) by node id, read through `client` or all unreadable with
/// its error.
async fn read_context(client: Result<kube::Client, String>, probes: Vec<Probe>) -> Vec<(String, EntryState)> {
    match client {
        Ok(client) => {
            let entries: Vec<(ObjMetadata, String)> =
                probes.iter().map(|p| (p.entry.clone(), p.version.clone())).collect();
            let read = read(&client, &entries).await;
            probes.into_iter().zip(read).map(|(p, h)| (p.node, h.state)).collect()
        }
        Err(why) => probes.into_iter().map(|p| (p.node, EntryState::Unreadable(why.clone()))).collect(),
    }
}
