//! Simulated Cluster API controllers for the demo fleet (management cluster `mgmt`).
//!
//! - Cluster `spec.paused` -> the v1beta2 `Paused` condition (REFERENCE.md A, "Pause").
//! - MachineDeployment `spec.replicas` -> Machines created (cloned from a sibling, with their InfraMachine,
//!   KubeadmConfig and, for clusters the demo runs, the workload cluster's Node) or deleted, newest first;
//!   MachineSet, MachineDeployment and Cluster counters follow. A paused Cluster or MachineDeployment is left
//!   alone, as CAPI does.
//! - Clusters seeded as `Provisioning` become `Provisioned` and Available over about 90 s.
//! - One worker Machine of `prod-us` flaps (Ready / NodeReady False, then True) every 40 s.
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use futures::StreamExt;
use k8s_openapi::api::core::v1::Node;
use kube::ResourceExt;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams};
use kube::core::ApiResource;
use rand::Rng;
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use super::{api_of, applied, conditions, patch_status, resource, s, set_condition};
use crate::demo::apply::Applier;

const CLUSTER_NAME: &str = "cluster.x-k8s.io/cluster-name";
const DEPLOYMENT_NAME: &str = "cluster.x-k8s.io/deployment-name";
const CONTROL_PLANE: &str = "cluster.x-k8s.io/control-plane";
/// Each step of a provisioning cluster's way to Provisioned.
const PROVISION_STEP: Duration = Duration::from_secs(30);
/// How often the flapping Machine changes state.
const FLAP_EVERY: Duration = Duration::from_secs(40);

fn capi(kind: &str, plural: &str) -> ApiResource {
    resource("cluster.x-k8s.io", "v1beta2", kind, plural)
}

/// Starts the CAPI controllers against `mgmt`; `workloads` are the demo's clients by context name (Nodes of
/// clusters named like a context are kept in step with their Machines).
pub fn start(mgmt: kube::Client, workloads: Vec<(String, kube::Client)>) -> Vec<JoinHandle<()>> {
    let workloads: Arc<BTreeMap<String, kube::Client>> = Arc::new(workloads.into_iter().collect());
    let mut tasks = Vec::new();
    let client = mgmt.clone();
    tasks.push(tokio::spawn(async move {
        let ar = capi("Cluster", "clusters");
        let mut seen = HashSet::new();
        let mut events = std::pin::pin!(applied(client.clone(), &ar));
        while let Some(c) = events.next().await {
            let key = (c.metadata.namespace.clone().unwrap_or_default(), c.metadata.name.clone().unwrap_or_default());
            let phase = s(&c.data, "/status/phase");
            if (phase == "Provisioning" || phase == "Pending")
                && c.metadata.deletion_timestamp.is_none()
                && seen.insert(key)
            {
                tokio::spawn(provision(client.clone(), c.clone()));
            }
            if let Err(e) = reflect_paused(&client, &ar, &c).await {
                tracing::warn!(target: "demo", "Cluster {}: {e:#}", key_name(&c));
            }
        }
    }));
    let client = mgmt.clone();
    let nodes = workloads.clone();
    tasks.push(tokio::spawn(async move {
        let ar = capi("MachineDeployment", "machinedeployments");
        let mut events = std::pin::pin!(applied(client.clone(), &ar));
        while let Some(md) = events.next().await {
            if let Err(e) = scale(&client, &nodes, &md).await {
                tracing::warn!(target: "demo", "MachineDeployment {}: {e:#}", key_name(&md));
            }
        }
    }));
    let down = Arc::new(AtomicBool::new(false));
    let picked = Arc::new(Mutex::new(None::<String>));
    tasks.push(super::every(FLAP_EVERY, move || {
        let (client, down, picked) = (mgmt.clone(), down.clone(), picked.clone());
        async move { flap(&client, &down, &picked).await }
    }));
    tasks
}

fn key_name(o: &DynamicObject) -> String {
    format!("{}/{}", o.metadata.namespace.as_deref().unwrap_or(""), o.metadata.name.as_deref().unwrap_or(""))
}

async fn reflect_paused(client: &kube::Client, ar: &ApiResource, c: &DynamicObject) -> Result<()> {
    let paused = c.data.pointer("/spec/paused").and_then(Value::as_bool).unwrap_or(false);
    let want = if paused { "True" } else { "False" };
    let mut conds = conditions(c);
    let now = conds.iter().find(|x| s(x, "/type") == "Paused").map(|x| s(x, "/status").to_string());
    if now.as_deref() == Some(want) || (now.is_none() && !paused) {
        return Ok(());
    }
    let reason = if paused { "Paused" } else { "NotPaused" };
    set_condition(&mut conds, "Paused", want, reason, "", c.metadata.generation.unwrap_or(0));
    patch_status(&api_of(client, ar, c), c.metadata.name.as_deref().unwrap_or(""), json!({"conditions": conds})).await
}

/// Moves a provisioning cluster to Provisioned and Available, one step every [`PROVISION_STEP`].
async fn provision(client: kube::Client, c: DynamicObject) {
    let ar = capi("Cluster", "clusters");
    let api = api_of(&client, &ar, &c);
    let name = c.metadata.name.clone().unwrap_or_default();
    let steps: [(&[(&str, &str)], Value); 3] = [
        (&[("InfrastructureReady", "True")], json!({"initialization": {"infrastructureProvisioned": true}})),
        (
            &[("ControlPlaneInitialized", "True"), ("ControlPlaneAvailable", "True")],
            json!({"initialization": {"infrastructureProvisioned": true, "controlPlaneInitialized": true}}),
        ),
        (
            &[("WorkersAvailable", "True"), ("RemoteConnectionProbe", "True"), ("Available", "True")],
            json!({"phase": "Provisioned"}),
        ),
    ];
    for (conds, extra) in steps {
        tokio::time::sleep(PROVISION_STEP).await;
        let Ok(Some(now)) = api.get_opt(&name).await else {
            return;
        };
        if now.metadata.deletion_timestamp.is_some()
            || now.data.pointer("/spec/paused").and_then(Value::as_bool) == Some(true)
        {
            continue;
        }
        let mut list = conditions(&now);
        let generation = now.metadata.generation.unwrap_or(0);
        for (t, st) in conds {
            set_condition(&mut list, t, st, t, "", generation);
        }
        let mut status = extra;
        if status.get("phase").is_none() {
            status["phase"] = json!("Provisioning");
        }
        status["conditions"] = json!(list);
        if let Err(e) = patch_status(&api, &name, status).await {
            tracing::warn!(target: "demo", "provisioning {name}: {e:#}");
            return;
        }
    }
}

/// Brings a MachineDeployment's Machines to `spec.replicas`.
async fn scale(client: &kube::Client, workloads: &BTreeMap<String, kube::Client>, md: &DynamicObject) -> Result<()> {
    let ns = md.metadata.namespace.clone().unwrap_or_default();
    let name = md.metadata.name.clone().unwrap_or_default();
    let cluster_name = s(&md.data, "/spec/clusterName").to_string();
    let Some(desired) = md.data.pointer("/spec/replicas").and_then(Value::as_i64) else {
        return Ok(());
    };
    if md.data.pointer("/spec/paused").and_then(Value::as_bool) == Some(true)
        || md.metadata.deletion_timestamp.is_some()
    {
        return Ok(());
    }
    let clusters: Api<DynamicObject> = Api::namespaced_with(client.clone(), &ns, &capi("Cluster", "clusters"));
    if let Some(c) = clusters.get_opt(&cluster_name).await?
        && c.data.pointer("/spec/paused").and_then(Value::as_bool) == Some(true)
    {
        return Ok(());
    }
    let machines_api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &ns, &capi("Machine", "machines"));
    let mut machines =
        machines_api.list(&ListParams::default().labels(&format!("{DEPLOYMENT_NAME}={name}"))).await?.items;
    machines.retain(|m| m.metadata.deletion_timestamp.is_none());
    machines.sort_by(|a, b| {
        a.metadata.creation_timestamp.cmp(&b.metadata.creation_timestamp).then(a.metadata.name.cmp(&b.metadata.name))
    });
    let have = machines.len() as i64;
    if have == desired {
        // Nothing to create or delete: the seeded counters stand (a rollout across two MachineSets keeps its
        // per-set counts).
        return Ok(());
    }
    let node_client = workloads.get(&cluster_name);
    if have < desired {
        let Some(template) = machines.first().cloned() else {
            anyhow::bail!("no Machine left to clone for {ns}/{name}; scale up from zero is not simulated")
        };
        for _ in have..desired {
            add_machine(client, node_client, &template).await?;
        }
    } else if have > desired {
        for m in machines.iter().rev().take((have - desired) as usize) {
            remove_machine(client, node_client, m).await?;
        }
    }
    update_counters(client, md, desired).await
}

fn suffix() -> String {
    const CHARS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut rng = rand::rng();
    (0..5).map(|_| CHARS[rng.random_range(0..CHARS.len())] as char).collect()
}

fn clean_copy(o: &DynamicObject, name: &str) -> Value {
    let mut v = serde_json::to_value(o).unwrap_or_default();
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in [
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "managedFields",
            "generation",
            "deletionTimestamp",
            "finalizers",
        ] {
            meta.remove(k);
        }
        meta.insert("name".into(), json!(name));
    }
    v
}

/// (ApiResource, name) of a Machine's infrastructure or bootstrap reference (v1beta2 or v1beta1 shape).
fn ref_resource(r: Option<&Value>) -> Option<(ApiResource, String)> {
    let r = r?;
    let kind = s(r, "/kind");
    let group = match s(r, "/apiGroup") {
        "" => s(r, "/apiVersion").split('/').next().unwrap_or(""),
        g => g,
    };
    if kind.is_empty() || group.is_empty() {
        return None;
    }
    let plural = format!("{}s", kind.to_lowercase());
    Some((resource(group, "v1beta2", kind, &plural), s(r, "/name").to_string()))
}

async fn add_machine(client: &kube::Client, nodes: Option<&kube::Client>, template: &DynamicObject) -> Result<()> {
    let ns = template.metadata.namespace.clone().unwrap_or_default();
    let set = template.labels().get("cluster.x-k8s.io/set-name").cloned().unwrap_or_else(|| "machine".into());
    let name = format!("{set}-{}", suffix());
    let mut machine = clean_copy(template, &name);
    machine["spec"]["providerID"] = json!(format!("docker:////{name}"));
    if let Some(st) = machine.get_mut("status") {
        st["nodeRef"] = json!({"name": name});
        st["phase"] = json!("Running");
    }
    let mut objects = Vec::new();
    for pointer in ["/spec/infrastructureRef", "/spec/bootstrap/configRef"] {
        let Some((ar, old)) = ref_resource(template.data.pointer(pointer)) else {
            continue;
        };
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &ns, &ar);
        let Some(orig) = api.get_opt(&old).await? else {
            continue;
        };
        let mut copy = clean_copy(&orig, &name);
        copy["metadata"]["ownerReferences"] = json!([{"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Machine",
            "name": name, "controller": true, "blockOwnerDeletion": true}]);
        objects.push(copy);
        if let Some(r) = machine.pointer_mut(pointer) {
            r["name"] = json!(name);
        }
    }
    objects.insert(0, machine);
    Applier::new(client.clone()).apply(objects).await?;
    if let Some(nodes) = nodes {
        add_node(nodes, template, &name).await?;
    }
    Ok(())
}

async fn add_node(nodes: &kube::Client, template: &DynamicObject, name: &str) -> Result<()> {
    let api: Api<Node> = Api::all(nodes.clone());
    let model = s(&template.data, "/status/nodeRef/name");
    let Some(mut node) = api.get_opt(model).await? else {
        return Ok(());
    };
    node.metadata =
        kube::api::ObjectMeta { name: Some(name.into()), labels: node.metadata.labels.take(), ..Default::default() };
    if let Some(l) = node.metadata.labels.as_mut() {
        l.insert("kubernetes.io/hostname".into(), name.into());
    }
    let status = node.status.take();
    api.create(&Default::default(), &node).await.with_context(|| format!("creating Node {name}"))?;
    api.patch_status(name, &PatchParams::default(), &Patch::Merge(json!({"status": status}))).await?;
    Ok(())
}

async fn remove_machine(client: &kube::Client, nodes: Option<&kube::Client>, m: &DynamicObject) -> Result<()> {
    let ns = m.metadata.namespace.clone().unwrap_or_default();
    let mut targets = vec![(capi("Machine", "machines"), m.metadata.name.clone().unwrap_or_default())];
    for pointer in ["/spec/infrastructureRef", "/spec/bootstrap/configRef"] {
        targets.extend(ref_resource(m.data.pointer(pointer)));
    }
    for (ar, name) in targets {
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &ns, &ar);
        // No garbage collector runs in the demo: finalizers are dropped and owned objects deleted here.
        let _ =
            api.patch(&name, &PatchParams::default(), &Patch::Merge(json!({"metadata": {"finalizers": null}}))).await;
        match api.delete(&name, &Default::default()).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(e) => return Err(e).with_context(|| format!("deleting {} {ns}/{name}", ar.kind)),
        }
    }
    if let Some(nodes) = nodes {
        let node = s(&m.data, "/status/nodeRef/name");
        if !node.is_empty() {
            let _ = Api::<Node>::all(nodes.clone()).delete(node, &Default::default()).await;
        }
    }
    Ok(())
}

async fn update_counters(client: &kube::Client, md: &DynamicObject, desired: i64) -> Result<()> {
    let ns = md.metadata.namespace.clone().unwrap_or_default();
    let name = md.metadata.name.clone().unwrap_or_default();
    let counters = json!({"replicas": desired, "readyReplicas": desired, "availableReplicas": desired, "upToDateReplicas": desired});
    let sets: Api<DynamicObject> = Api::namespaced_with(client.clone(), &ns, &capi("MachineSet", "machinesets"));
    for ms in sets.list(&ListParams::default().labels(&format!("{DEPLOYMENT_NAME}={name}"))).await?.items {
        let ms_name = ms.metadata.name.clone().unwrap_or_default();
        sets.patch(&ms_name, &PatchParams::default(), &Patch::Merge(json!({"spec": {"replicas": desired}}))).await?;
        patch_status(&sets, &ms_name, counters.clone()).await?;
    }
    let current = md.data.pointer("/status/replicas").and_then(Value::as_i64);
    if current != Some(desired) {
        let mds = api_of(client, &capi("MachineDeployment", "machinedeployments"), md);
        let mut status = counters.clone();
        status["phase"] = json!("Running");
        patch_status(&mds, &name, status).await?;
    }
    // The Cluster's worker counters are the sum over its MachineDeployments.
    let cluster_name = s(&md.data, "/spec/clusterName").to_string();
    let all: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), &ns, &capi("MachineDeployment", "machinedeployments"));
    let total: i64 = all
        .list(&ListParams::default().labels(&format!("{CLUSTER_NAME}={cluster_name}")))
        .await?
        .items
        .iter()
        .map(|m| {
            if m.metadata.name.as_deref() == Some(&name) {
                desired
            } else {
                m.data.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(0)
            }
        })
        .sum();
    let clusters: Api<DynamicObject> = Api::namespaced_with(client.clone(), &ns, &capi("Cluster", "clusters"));
    if clusters.get_opt(&cluster_name).await?.is_some() {
        let w = json!({"desiredReplicas": total, "replicas": total, "readyReplicas": total, "availableReplicas": total, "upToDateReplicas": total});
        patch_status(&clusters, &cluster_name, json!({"workers": w})).await?;
    }
    Ok(())
}

/// Flips one healthy `prod-us` worker Machine between not-ready and ready.
async fn flap(client: &kube::Client, down: &AtomicBool, picked: &Mutex<Option<String>>) -> Result<()> {
    let ar = capi("Machine", "machines");
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
    let machines =
        api.list(&ListParams::default().labels(&format!("{CLUSTER_NAME}=prod-us,!{CONTROL_PLANE}"))).await?.items;
    let mut picked = picked.lock().await;
    if picked.is_none() {
        *picked = machines
            .iter()
            .filter(|m| conditions(m).iter().all(|c| s(c, "/type") != "NodeHealthy" || s(c, "/status") == "True"))
            .filter_map(|m| m.metadata.name.clone())
            .max();
    }
    let Some(m) = machines.iter().find(|m| m.metadata.name == *picked) else {
        return Ok(());
    };
    let going_down = !down.load(Ordering::Relaxed);
    let generation = m.metadata.generation.unwrap_or(0);
    let mut conds = conditions(m);
    if going_down {
        set_condition(
            &mut conds,
            "NodeReady",
            "False",
            "NodeNotReady",
            "Kubelet stopped posting node status.",
            generation,
        );
        set_condition(
            &mut conds,
            "Ready",
            "False",
            "NotReady",
            "* NodeReady: Kubelet stopped posting node status.",
            generation,
        );
    } else {
        set_condition(&mut conds, "NodeReady", "True", "NodeReady", "", generation);
        set_condition(&mut conds, "Ready", "True", "Ready", "", generation);
    }
    patch_status(&api_of(client, &ar, m), m.metadata.name.as_deref().unwrap_or(""), json!({"conditions": conds}))
        .await?;
    down.store(going_down, Ordering::Relaxed);
    Ok(())
}
