//! Status of a kubeadm cluster's objects, summarised from its Machines the way the Cluster API controllers
//! do it (cluster-api v1.14, `internal/controllers/*/..._status.go`): replica counters add up, a not-Ready
//! worker makes its MachineDeployment not Available (`1 available replicas, at least 2 required (...)`) and
//! surfaces in the Cluster's WorkersAvailable, WorkerMachinesReady and Available conditions, each message
//! nested under the condition or object it comes from (`* MachineDeployment md-1:` ...).

use serde_json::{Value, json};

use super::capi_facts::{KubeadmCluster, Lifecycle};
use super::capi_machine::{
    CAPI, CLUSTER_NAME, CONTROL_PLANE, DEPLOYMENT_NAME, Health, MachineFacts, NODE_NOT_READY_TIMEOUT,
};
use super::meta::{Clock, Conditions, MIN, V1Beta1Conditions, labels, object, owned_by};

/// `* title: message`, or `* title:` with the message's lines indented below it, as Cluster API nests
/// condition messages.
pub(super) fn nest(title: &str, message: &str) -> String {
    if message.contains('\n') || message.starts_with("* ") {
        let lines: Vec<String> = message.lines().map(|l| format!("  {l}")).collect();
        format!("* {title}:\n{}", lines.join("\n"))
    } else {
        format!("* {title}: {message}")
    }
}

/// The Remediating condition of an owner (MachineSet, MachineDeployment, Cluster) over `machines`: True with
/// the aggregate of its remediating Machines' OwnerRemediated messages (`* Machine <name>: Waiting for
/// remediation`, cluster-api `setRemediatingCondition`), else False/NotRemediating.
fn remediating<'c, 'm>(conds: Conditions<'c>, machines: impl Iterator<Item = &'m MachineFacts>) -> Conditions<'c> {
    let mut failing: Vec<(&str, i64)> =
        machines.filter_map(|m| m.health_check_failed().map(|since| (m.name.as_str(), since))).collect();
    failing.sort();
    let Some(since) = failing.iter().map(|(_, s)| *s).max() else {
        return conds.no("Remediating", "NotRemediating");
    };
    let names: Vec<&str> = failing.iter().map(|(n, _)| *n).collect();
    let kind = if names.len() == 1 { "Machine" } else { "Machines" };
    let message = format!("* {kind} {}: Waiting for remediation", names.join(", "));
    conds.since(since).add("Remediating", "True", "Remediating", &message)
}

/// One MachineDeployment: its current MachineSet (`ms`, `hash`, `machines`, at the cluster's version) and,
/// mid-rollout, the older one still holding Machines at the old version.
pub(super) struct PoolPlan {
    pub md: String,
    pub ms: String,
    pub hash: String,
    pub replicas: usize,
    pub topology_name: String,
    pub machines: Vec<MachineFacts>,
    pub old: Option<OldSet>,
}

/// The MachineSet a rollout is replacing (revision 1), with the Machines it still has.
pub(super) struct OldSet {
    pub ms: String,
    pub hash: String,
    pub version: String,
    pub machines: Vec<MachineFacts>,
}

/// Which object of a pool [`set_status`] describes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum SetOf {
    /// The MachineDeployment (every Machine of the pool).
    Deployment,
    /// The current MachineSet.
    Current,
    /// The MachineSet being replaced.
    Old,
}

/// Seconds since the earliest trouble (a Node not Ready, a drain) among `machines`, when there is one.
pub(super) fn trouble_since<'a>(machines: impl Iterator<Item = &'a MachineFacts>) -> Option<i64> {
    machines
        .filter_map(|m| match m.health {
            Health::Healthy => None,
            Health::NodeNotReady { since, .. } | Health::Draining { since } => Some(since),
        })
        .max()
}

impl PoolPlan {
    /// Every Machine of the pool: the current MachineSet's, then the old one's.
    pub(super) fn all(&self) -> impl Iterator<Item = &MachineFacts> {
        self.machines.iter().chain(self.old.iter().flat_map(|o| &o.machines))
    }

    /// The Machines `which` covers.
    fn of(&self, which: SetOf) -> Vec<&MachineFacts> {
        match which {
            SetOf::Deployment => self.all().collect(),
            SetOf::Current => self.machines.iter().collect(),
            SetOf::Old => self.old.iter().flat_map(|o| &o.machines).collect(),
        }
    }

    /// How many of `machines` are Ready.
    fn ready<'m>(machines: impl Iterator<Item = &'m MachineFacts>) -> usize {
        machines.filter(|m| matches!(m.health, Health::Healthy)).count()
    }

    /// The `RollingOut` message of a MachineDeployment replacing Machines (cluster-api
    /// `machinedeployment_status.go`: the count, then the Machines' `UpToDate` bullets, deduplicated).
    fn rolling_out(&self) -> Option<String> {
        let stale: Vec<&MachineFacts> = self.all().filter(|m| m.stale.is_some()).collect();
        let first = stale.first()?;
        Some(format!(
            "Rolling out {} not up-to-date replicas\n{}",
            stale.len(),
            first.stale.as_deref().unwrap_or_default()
        ))
    }

    /// The `MachinesUpToDate` message of an owner of `machines` with stale ones (aggregated per Machine).
    fn not_up_to_date<'m>(machines: impl Iterator<Item = &'m MachineFacts>) -> Option<String> {
        let lines: Vec<String> =
            machines.filter_map(|m| m.stale.as_ref().map(|msg| nest(&format!("Machine {}", m.name), msg))).collect();
        (!lines.is_empty()).then(|| lines.join("\n"))
    }

    /// The Available message when not available (MachineDeployment controller's wording, maxUnavailable 0).
    fn not_available(&self, deleting: bool) -> Option<String> {
        if deleting {
            return Some("Deletion in progress".to_owned());
        }
        let ready = PoolPlan::ready(self.all());
        (ready < self.replicas).then(|| {
            format!(
                "{ready} available replicas, at least {} required (spec.strategy.rollout.maxUnavailable is 0, spec.replicas is {})",
                self.replicas, self.replicas
            )
        })
    }

    /// The `MachinesReady` message of an owner of `machines` with some not Ready (aggregated per Machine).
    fn not_ready<'m>(machines: impl Iterator<Item = &'m MachineFacts>) -> Option<String> {
        let lines: Vec<String> = machines
            .filter_map(|m| m.not_ready_message().map(|msg| nest(&format!("Machine {}", m.name), &msg)))
            .collect();
        (!lines.is_empty()).then(|| lines.join("\n"))
    }
}

pub(super) fn paused_condition<'c>(c: Conditions<'c>, paused: bool, cluster: &str) -> Conditions<'c> {
    if paused {
        c.add("Paused", "True", "Paused", &format!("Cluster {cluster} is paused"))
    } else {
        c.no("Paused", "NotPaused")
    }
}

pub(super) fn cluster_status(clock: &Clock, c: &KubeadmCluster, cp: &[MachineFacts], pools: &[PoolPlan]) -> Value {
    let deleting = c.lifecycle == Lifecycle::Deleting;
    let since = c.age - 6 * MIN;
    let desired: usize = pools.iter().map(|p| p.replicas).sum();
    let workers: usize = pools.iter().map(|p| p.all().count()).sum();
    let up_to_date: usize = pools.iter().map(|p| p.all().filter(|m| m.stale.is_none()).count()).sum();
    let ready: usize = pools.iter().map(|p| PoolPlan::ready(p.all())).sum();
    let not_available: Vec<String> = pools
        .iter()
        .filter_map(|p| p.not_available(deleting).map(|m| nest(&format!("MachineDeployment {}", p.md), &m)))
        .collect();
    let not_ready: Vec<String> = pools.iter().filter_map(|p| PoolPlan::not_ready(p.all())).collect();
    let recent = trouble_since(pools.iter().flat_map(PoolPlan::all)).unwrap_or(9 * MIN);
    let rollout_since = pools.iter().flat_map(|p| &p.machines).map(|m| m.age).max().unwrap_or(since);
    let stale = PoolPlan::not_up_to_date(pools.iter().flat_map(PoolPlan::all));
    // Each rolling MachineDeployment's RollingOut message, nested as the Cluster aggregates it.
    let rolling: Vec<String> = pools
        .iter()
        .filter_map(|p| p.rolling_out().map(|m| (p, m)))
        .map(|(p, m)| {
            let mut lines = m.lines();
            let head = lines.next().unwrap_or_default();
            let rest: Vec<String> = lines.map(|l| format!("    {l}")).collect();
            let mut text = format!("* MachineDeployment {}:\n  * {head}", p.md);
            for l in rest {
                text.push('\n');
                text.push_str(&l);
            }
            text
        })
        .collect();

    let mut conds = Conditions::new(clock, since);
    let mut problems = Vec::new();
    let delete_message = deleting.then(|| {
        let names = |f: &dyn Fn(&PoolPlan) -> Vec<String>| pools.iter().flat_map(f).collect::<Vec<_>>().join(", ");
        format!(
            "* MachineDeployments: {}\n* MachineSets: {}\n* Worker Machines: {}",
            names(&|p| vec![p.md.clone()]),
            names(&|p| vec![p.ms.clone()]),
            names(&|p| p.all().map(|m| m.name.clone()).collect()),
        )
    });
    if let Some(m) = &delete_message {
        problems.push(nest("Deleting", m));
    }
    if !not_available.is_empty() {
        problems.push(nest("WorkersAvailable", &not_available.join("\n")));
    }
    conds = if problems.is_empty() {
        conds.yes("Available", "Available")
    } else {
        conds.since(recent).add("Available", "False", "NotAvailable", &problems.join("\n")).since(since)
    };
    conds = conds
        .yes("InfrastructureReady", "Ready")
        .yes("ControlPlaneInitialized", "Initialized")
        .yes("ControlPlaneAvailable", "Available");
    conds = if not_available.is_empty() {
        conds.yes("WorkersAvailable", "Available")
    } else {
        conds.since(recent).add("WorkersAvailable", "False", "NotAvailable", &not_available.join("\n")).since(since)
    };
    conds = conds.yes("ControlPlaneMachinesReady", "Ready");
    conds = if not_ready.is_empty() {
        conds.yes("WorkerMachinesReady", "Ready")
    } else {
        conds.since(recent).add("WorkerMachinesReady", "False", "NotReady", &not_ready.join("\n")).since(since)
    };
    conds = conds.yes("ControlPlaneMachinesUpToDate", "UpToDate");
    conds = match &stale {
        Some(m) => conds.since(rollout_since).add("WorkerMachinesUpToDate", "False", "NotUpToDate", m).since(since),
        None => conds.yes("WorkerMachinesUpToDate", "UpToDate"),
    };
    conds = conds.yes("RemoteConnectionProbe", "ProbeSucceeded");
    conds = if rolling.is_empty() {
        conds.no("RollingOut", "NotRollingOut")
    } else {
        conds.since(rollout_since).add("RollingOut", "True", "RollingOut", &rolling.join("\n")).since(since)
    };
    conds = conds.no("ScalingUp", "NotScalingUp").no("ScalingDown", "NotScalingDown");
    conds = remediating(conds, pools.iter().flat_map(PoolPlan::all)).since(since);
    conds = match &delete_message {
        Some(m) => conds.since(recent).add("Deleting", "True", "WaitingForWorkersDeletion", m).since(since),
        None => conds.no("Deleting", "NotDeleting"),
    };
    conds = paused_condition(conds, c.lifecycle == Lifecycle::Paused, &c.name);
    if c.class.is_some() {
        // The topology controller's upgrade message (`core/reconcilers/topology/cluster/status.go`).
        let upgrading: Vec<&str> =
            pools.iter().filter(|p| p.all().any(|m| m.stale.is_some())).map(|p| p.topology_name.as_str()).collect();
        conds = if upgrading.is_empty() {
            conds.yes("TopologyReconciled", "ReconcileSucceeded")
        } else {
            let which = if upgrading.len() == 1 { "MachineDeployment" } else { "MachineDeployments" };
            let message = format!(
                "Cluster is upgrading to {}\n  * {which} {} upgrading to version {}",
                c.version,
                upgrading.join(", "),
                c.version
            );
            conds.since(rollout_since).add("TopologyReconciled", "False", "ClusterUpgrading", &message).since(since)
        };
    }
    let old = V1Beta1Conditions::new(clock, since);
    let old =
        if deleting { old.since(recent).bad("Ready", "Info", "Deleting", "").since(since) } else { old.ok("Ready") };
    let cp_count = cp.len();
    json!({
        "observedGeneration": 1,
        "phase": if deleting { "Deleting" } else { "Provisioned" },
        "initialization": { "infrastructureProvisioned": true, "controlPlaneInitialized": true },
        "controlPlane": {
            "desiredReplicas": c.control_plane, "replicas": cp_count, "upToDateReplicas": cp_count,
            "readyReplicas": cp_count, "availableReplicas": cp_count,
        },
        "workers": {
            "desiredReplicas": desired, "replicas": workers, "upToDateReplicas": up_to_date,
            "readyReplicas": ready, "availableReplicas": ready,
        },
        "conditions": conds.build(),
        "deprecated": { "v1beta1": { "conditions":
            old.ok("ControlPlaneInitialized").ok("ControlPlaneReady").ok("InfrastructureReady").build() } },
    })
}

pub(super) fn kcp_status(clock: &Clock, c: &KubeadmCluster) -> Value {
    let n = c.control_plane;
    let since = c.age - 8 * MIN;
    let conds = Conditions::new(clock, since)
        .yes("Available", "Available")
        .yes("CertificatesAvailable", "Available")
        .yes("ControlPlaneComponentsHealthy", "Healthy")
        .yes("EtcdClusterHealthy", "Healthy")
        .yes("Initialized", "Initialized")
        .yes("MachinesReady", "Ready")
        .yes("MachinesUpToDate", "UpToDate")
        .no("RollingOut", "NotRollingOut")
        .no("ScalingUp", "NotScalingUp")
        .no("ScalingDown", "NotScalingDown")
        .no("Remediating", "NotRemediating")
        .no("Deleting", "NotDeleting");
    let old = V1Beta1Conditions::new(clock, since)
        .ok("Ready")
        .ok("Available")
        .ok("CertificatesAvailable")
        .ok("ControlPlaneComponentsHealthy")
        .ok("EtcdClusterHealthy")
        .ok("MachinesCreated")
        .ok("MachinesReady")
        .ok("Resized");
    json!({
        "observedGeneration": 1,
        "selector": format!("{CLUSTER_NAME}={},{CONTROL_PLANE}", c.name),
        "replicas": n, "readyReplicas": n, "availableReplicas": n, "upToDateReplicas": n,
        "version": c.version,
        "initialization": { "controlPlaneInitialized": true },
        "conditions": paused_condition(conds, c.lifecycle == Lifecycle::Paused, &c.name).build(),
        "deprecated": { "v1beta1": {
            "conditions": old.build(), "readyReplicas": n, "updatedReplicas": n, "unavailableReplicas": 0,
        } },
    })
}

/// Status of the MachineDeployment or one of its MachineSets.
pub(super) fn set_status(clock: &Clock, c: &KubeadmCluster, p: &PoolPlan, which: SetOf) -> Value {
    let machine_set = which != SetOf::Deployment;
    let deleting = c.lifecycle == Lifecycle::Deleting;
    let since = c.age - 14 * MIN;
    let machines = p.of(which);
    let recent = trouble_since(machines.iter().copied()).unwrap_or(9 * MIN);
    let n = machines.len();
    let ready = PoolPlan::ready(machines.iter().copied());
    let up_to_date = machines.iter().filter(|m| m.stale.is_none()).count();
    let mut conds = Conditions::new(clock, since);
    let mut old = V1Beta1Conditions::new(clock, since);
    if !machine_set {
        conds = match p.not_available(deleting) {
            Some(m) => conds.since(recent).add("Available", "False", "NotAvailable", &m).since(since),
            None => conds.yes("Available", "Available"),
        };
    }
    conds = if let Some(not_ready) = PoolPlan::not_ready(machines.iter().copied()) {
        let summary = format!("{ready} of {n} completed");
        old = old
            .since(recent)
            .bad("Ready", "Warning", "WaitingForAvailableMachines", &summary)
            .bad("MachinesReady", "Warning", "NodeConditionsFailed", &summary)
            .since(since);
        conds.since(recent).add("MachinesReady", "False", "NotReady", &not_ready).since(since)
    } else {
        old = old.ok("Ready").ok("MachinesReady");
        conds.yes("MachinesReady", "Ready")
    };
    // A rollout started when the newest MachineSet was created: its first Machine's age.
    let rollout_since = p.machines.iter().map(|m| m.age).max().unwrap_or(since);
    conds = match PoolPlan::not_up_to_date(machines.iter().copied()) {
        Some(m) => conds.since(rollout_since).add("MachinesUpToDate", "False", "NotUpToDate", &m).since(since),
        None => conds.yes("MachinesUpToDate", "UpToDate"),
    };
    if !machine_set {
        conds = match p.rolling_out() {
            Some(m) => conds.since(rollout_since).add("RollingOut", "True", "RollingOut", &m).since(since),
            None => conds.no("RollingOut", "NotRollingOut"),
        };
    }
    conds = conds.no("ScalingUp", "NotScalingUp").no("ScalingDown", "NotScalingDown");
    conds = remediating(conds, machines.iter().copied()).since(since);
    conds = if deleting {
        let what = if machine_set { format!("Deleting {n} Machines") } else { "Deleting 1 MachineSets".to_owned() };
        conds.since(recent).add("Deleting", "True", "Deleting", &what).since(since)
    } else {
        conds.no("Deleting", "NotDeleting")
    };
    conds = paused_condition(conds, c.lifecycle == Lifecycle::Paused, &c.name);
    let mut selector = format!("{CLUSTER_NAME}={},{DEPLOYMENT_NAME}={}", c.name, p.md);
    match (which, &p.old) {
        (SetOf::Current, _) => selector.push_str(&format!(",machine-template-hash={}", p.hash)),
        (SetOf::Old, Some(o)) => selector.push_str(&format!(",machine-template-hash={}", o.hash)),
        _ => {}
    }
    let mut status = json!({
        "observedGeneration": 1,
        "selector": selector,
        "replicas": n, "readyReplicas": ready, "availableReplicas": ready, "upToDateReplicas": up_to_date,
        "conditions": conds.build(),
        "deprecated": { "v1beta1": { "conditions": old.build(), "readyReplicas": ready, "availableReplicas": ready } },
    });
    // The v1beta1 counters each kind keeps (MachineSetV1Beta1DeprecatedStatus has no updated or unavailable
    // replicas; every Machine of the set carries its template's labels).
    let deprecated = &mut status["deprecated"]["v1beta1"];
    if machine_set {
        deprecated["fullyLabeledReplicas"] = json!(n);
    } else {
        deprecated["updatedReplicas"] = json!(up_to_date);
        deprecated["unavailableReplicas"] = json!(n - ready);
        status["phase"] = json!(if deleting { "ScalingDown" } else { "Running" });
    }
    status
}

pub(super) fn health_check(clock: &Clock, c: &KubeadmCluster, cluster: &Value, pools: &[PoolPlan]) -> Value {
    let name = format!("{}-workers-unhealthy-5m", c.name);
    let mut mhc = object(CAPI, "MachineHealthCheck", Some(&c.namespace), &name);
    labels(&mut mhc, &[(CLUSTER_NAME, &c.name)]);
    owned_by(&mut mhc, cluster, false);
    mhc["spec"] = json!({
        "clusterName": c.name,
        "selector": {
            "matchLabels": { CLUSTER_NAME: c.name },
            "matchExpressions": [{ "key": CONTROL_PLANE, "operator": "DoesNotExist" }],
        },
        "checks": {
            "nodeStartupTimeoutSeconds": 600,
            "unhealthyNodeConditions": [
                { "type": "Ready", "status": "Unknown", "timeoutSeconds": NODE_NOT_READY_TIMEOUT },
                { "type": "Ready", "status": "False", "timeoutSeconds": NODE_NOT_READY_TIMEOUT },
            ],
        },
        "remediation": { "triggerIf": { "unhealthyLessThanOrEqualTo": "40%" } },
    });
    let mut targets: Vec<&str> = pools.iter().flat_map(|p| p.all().map(|m| m.name.as_str())).collect();
    targets.sort();
    let expected = targets.len();
    let unhealthy = pools.iter().flat_map(PoolPlan::all).filter(|m| m.health_check_failed().is_some()).count();
    let since = c.age - 10 * MIN;
    // maxUnhealthy 40% of the targets, rounded down, less those already unhealthy (`isAllowedRemediation`).
    mhc["status"] = json!({
        "observedGeneration": 1,
        "expectedMachines": expected,
        "currentHealthy": expected - unhealthy,
        "remediationsAllowed": (expected * 2 / 5).saturating_sub(unhealthy),
        "targets": targets,
        "conditions": Conditions::new(clock, since)
            .yes("RemediationAllowed", "RemediationAllowed").no("Paused", "NotPaused").build(),
        "deprecated": { "v1beta1": { "conditions": V1Beta1Conditions::new(clock, since).ok("RemediationAllowed").build() } },
    });
    mhc
}
