//! The facts of one kubeadm Cluster API cluster of the demo fleet, as a seed states them before anything is
//! built: its pools of workers, where it is in its life, its version and class. `capi_kubeadm.rs` builds the
//! objects from them and `capi_status.rs` their status.

/// A pool of workers: one MachineDeployment with one MachineSet.
#[derive(Clone, Debug)]
pub(super) struct Pool {
    /// `md-0`: the MachineDeployment is `<cluster>-md-0` (or the topology name of the pool).
    pub name: String,
    pub replicas: usize,
    /// `(machine index, kubelet message, seconds since)` for a Machine whose Node is not Ready.
    pub unhealthy: Option<(usize, &'static str, i64)>,
    /// Mid-rollout to the cluster's version: `(old version, Machines still at it)`. Those stay in the first
    /// MachineSet (revision 1); the rest are in a second one (revision 2) at the cluster's version.
    pub rolling_from: Option<(&'static str, usize)>,
}

/// Where the cluster is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Lifecycle {
    Running,
    /// `spec.paused: true`.
    Paused,
    /// Being deleted: the applier deletes the objects listed in `capi_kubeadm::Built::deleted`; finalizers
    /// keep them.
    Deleting,
}

/// The facts of one kubeadm cluster.
#[derive(Clone, Debug)]
pub(super) struct KubeadmCluster {
    pub namespace: String,
    pub name: String,
    pub version: String,
    pub control_plane: usize,
    pub pools: Vec<Pool>,
    /// Seconds since the cluster was created.
    pub age: i64,
    pub lifecycle: Lifecycle,
    /// ClusterClass name for a topology-managed cluster.
    pub class: Option<String>,
    /// Adds a MachineHealthCheck over the worker Machines.
    pub health_check: bool,
}
