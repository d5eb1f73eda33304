//! Writing seed objects into an API server the way controllers would have left them: create each object
//! (owners first, so ownerReferences get real uids), then write its `status` through the status
//! subresource. Objects at the same depth of the ownership graph are written concurrently.
use std::collections::HashMap;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use futures::stream::{self, StreamExt, TryStreamExt};
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::discovery::{self, Scope};
use serde_json::{Value, json};

/// How many requests an [`Applier`] keeps in flight.
pub const CONCURRENCY: usize = 48;

/// (kind, namespace, name): how ownerReferences find their owner in the same namespace.
type OwnerKey = (String, String, String);

/// Creates seed objects on one API server; caches the kinds it has resolved.
pub struct Applier {
    client: kube::Client,
    kinds: HashMap<(String, String), (ApiResource, bool)>,
    uids: HashMap<OwnerKey, String>,
}

/// What [`Applier::apply`] did.
#[derive(Debug, Default, Clone, Copy)]
pub struct ApplyStats {
    /// Objects created (or found already present).
    pub objects: usize,
    /// Wall time, seconds.
    pub seconds: f64,
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter().try_fold(v, |v, k| v.get(k)).and_then(Value::as_str).unwrap_or("")
}

fn owner_keys(obj: &Value) -> Vec<OwnerKey> {
    let ns = str_at(obj, &["metadata", "namespace"]).to_string();
    obj.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .map(|refs| {
            refs.iter().map(|r| (str_at(r, &["kind"]).into(), ns.clone(), str_at(r, &["name"]).into())).collect()
        })
        .unwrap_or_default()
}

fn key_of(obj: &Value) -> OwnerKey {
    (
        str_at(obj, &["kind"]).into(),
        str_at(obj, &["metadata", "namespace"]).into(),
        str_at(obj, &["metadata", "name"]).into(),
    )
}

/// Depth of each object in the ownership graph of `objects` (0 = owns nothing listed; Namespaces are 0).
fn depths(objects: &[Value]) -> Vec<usize> {
    let index: HashMap<OwnerKey, usize> = objects.iter().enumerate().map(|(i, o)| (key_of(o), i)).collect();
    let mut depth = vec![usize::MAX; objects.len()];
    fn visit(
        i: usize,
        objects: &[Value],
        index: &HashMap<OwnerKey, usize>,
        depth: &mut [usize],
        guard: usize,
    ) -> usize {
        if depth[i] != usize::MAX {
            return depth[i];
        }
        // Namespaces first (wave 0); an object with no listed owner in wave 1; others one after their owner.
        let d = if str_at(&objects[i], &["kind"]) == "Namespace" {
            0
        } else if guard > 32 {
            1
        } else {
            owner_keys(&objects[i])
                .iter()
                .filter_map(|k| index.get(k))
                .map(|&o| visit(o, objects, index, depth, guard + 1) + 1)
                .max()
                .unwrap_or(1)
        };
        depth[i] = d;
        d
    }
    for i in 0..objects.len() {
        visit(i, objects, &index, &mut depth, 0);
    }
    depth
}

impl Applier {
    /// An applier writing through `client` (which needs rights to create everything it is given).
    pub fn new(client: kube::Client) -> Applier {
        Applier { client, kinds: HashMap::new(), uids: HashMap::new() }
    }

    async fn resolve(&mut self, api_version: &str, kind: &str) -> Result<(ApiResource, bool)> {
        let key = (api_version.to_string(), kind.to_string());
        if let Some(r) = self.kinds.get(&key) {
            return Ok(r.clone());
        }
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        let gvk = GroupVersionKind::gvk(group, version, kind);
        // A CRD created a moment ago is Established before discovery lists it: ask again for up to 10 s.
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        let (ar, caps) = loop {
            match discovery::pinned_kind(&self.client, &gvk).await {
                Ok(found) => break found,
                Err(_) if Instant::now() < deadline => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
                Err(e) => {
                    return Err(e).with_context(|| format!("the API server does not serve {kind} ({api_version})"));
                }
            }
        };
        let r = (ar, caps.scope == Scope::Namespaced);
        self.kinds.insert(key, r.clone());
        Ok(r)
    }

    fn api(&self, ar: &ApiResource, namespaced: bool, ns: &str) -> Api<DynamicObject> {
        if namespaced {
            Api::namespaced_with(self.client.clone(), ns, ar)
        } else {
            Api::all_with(self.client.clone(), ar)
        }
    }

    /// Creates `objects` (full objects with `status`), owners first, filling each ownerReference's `uid`
    /// from the owner created here; then writes each `status` through the status subresource. An object
    /// that already exists is left as it is.
    ///
    /// Errors name the object that failed.
    pub async fn apply(&mut self, objects: Vec<Value>) -> Result<ApplyStats> {
        let t = Instant::now();
        let depth = depths(&objects);
        let max = depth.iter().copied().max().unwrap_or(0);
        let mut waves: Vec<Vec<Value>> = vec![Vec::new(); max + 1];
        let n = objects.len();
        for (obj, d) in objects.into_iter().zip(depth) {
            waves[d].push(obj);
        }
        for wave in waves {
            let mut jobs = Vec::with_capacity(wave.len());
            for mut obj in wave {
                let (ar, namespaced) = self.resolve(str_at(&obj, &["apiVersion"]), str_at(&obj, &["kind"])).await?;
                self.fill_owner_uids(&mut obj)?;
                let api = self.api(&ar, namespaced, str_at(&obj, &["metadata", "namespace"]));
                jobs.push((api, obj));
            }
            let created: Vec<(OwnerKey, String)> = stream::iter(jobs)
                .map(|(api, obj)| create_with_status(api, obj))
                .buffer_unordered(CONCURRENCY)
                .try_collect()
                .await?;
            self.uids.extend(created);
        }
        Ok(ApplyStats { objects: n, seconds: t.elapsed().as_secs_f64() })
    }

    fn fill_owner_uids(&self, obj: &mut Value) -> Result<()> {
        let ns = str_at(obj, &["metadata", "namespace"]).to_string();
        if let Some(refs) = obj.pointer_mut("/metadata/ownerReferences").and_then(Value::as_array_mut) {
            for r in refs {
                if r.get("uid").and_then(Value::as_str).is_some_and(|u| !u.is_empty()) {
                    continue;
                }
                let key = (str_at(r, &["kind"]).to_string(), ns.clone(), str_at(r, &["name"]).to_string());
                let uid = self.uids.get(&key).ok_or_else(|| {
                    anyhow!("owner {}/{} ({}) of a seed object was not created first", key.1, key.2, key.0)
                })?;
                r["uid"] = json!(uid);
            }
        }
        Ok(())
    }

    /// Deletes an object given by `{apiVersion, kind, metadata: {namespace, name}}` (or flat `namespace` /
    /// `name` fields). With finalizers it stays, Terminating, as a deleting object does.
    pub async fn delete(&mut self, reference: &Value) -> Result<()> {
        let name = match str_at(reference, &["metadata", "name"]) {
            "" => str_at(reference, &["name"]),
            n => n,
        };
        let ns = match str_at(reference, &["metadata", "namespace"]) {
            "" => str_at(reference, &["namespace"]),
            n => n,
        };
        let (ar, namespaced) = self.resolve(str_at(reference, &["apiVersion"]), str_at(reference, &["kind"])).await?;
        self.api(&ar, namespaced, ns)
            .delete(name, &DeleteParams::default())
            .await
            .with_context(|| format!("deleting {} {ns}/{name}", ar.kind))?;
        Ok(())
    }
}

impl Applier {
    /// Merge-patches the object given by `reference` (as [`Applier::delete`] takes it) as someone editing it by
    /// hand would (`kubectl edit`; field manager `kubectl-edit`).
    ///
    /// Errors name the object.
    pub async fn merge_patch(&mut self, reference: &Value, patch: &Value) -> Result<()> {
        let (name, ns) = (str_at(reference, &["name"]), str_at(reference, &["namespace"]));
        let (ar, namespaced) = self.resolve(str_at(reference, &["apiVersion"]), str_at(reference, &["kind"])).await?;
        let params = PatchParams { field_manager: Some("kubectl-edit".into()), ..Default::default() };
        self.api(&ar, namespaced, ns)
            .patch(name, &params, &Patch::Merge(patch))
            .await
            .with_context(|| format!("editing {} {ns}/{name}", ar.kind))?;
        Ok(())
    }
}

async fn create_with_status(api: Api<DynamicObject>, mut obj: Value) -> Result<(OwnerKey, String)> {
    let key = key_of(&obj);
    let what = || format!("{} {}/{}", key.0, key.1, key.2);
    let status = obj.as_object_mut().and_then(|o| o.remove("status"));
    let dynamic: DynamicObject = serde_json::from_value(obj).with_context(|| format!("seed object {}", what()))?;
    let created = match api.create(&PostParams::default(), &dynamic).await {
        Ok(o) => o,
        Err(kube::Error::Api(s)) if s.code == 409 => api.get(&key.2).await.with_context(what)?,
        Err(e) => return Err(e).with_context(|| format!("creating {}", what())),
    };
    if let Some(status) = status.filter(|s| !s.is_null()) {
        api.patch_status(&key.2, &PatchParams::default(), &Patch::Merge(json!({ "status": status })))
            .await
            .with_context(|| format!("writing the status of {}", what()))?;
    }
    Ok((key, created.metadata.uid.unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_come_in_earlier_waves() {
        let obj = |kind: &str, name: &str, owner: Option<(&str, &str)>| {
            let mut o = json!({"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": "ns"}});
            if let Some((k, n)) = owner {
                o["metadata"]["ownerReferences"] = json!([{"kind": k, "name": n}]);
            }
            o
        };
        let objects = vec![
            obj("Machine", "m", Some(("MachineSet", "ms"))),
            obj("MachineSet", "ms", Some(("MachineDeployment", "md"))),
            obj("MachineDeployment", "md", None),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}}),
        ];
        assert_eq!(depths(&objects), vec![3, 2, 1, 0]);
    }
}
