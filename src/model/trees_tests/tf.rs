//! Terraform lineage trees.
use crate::model::status::HealthState;
use crate::model::tf_tree::terraform_tree;
use crate::model::tree::Missing;
use crate::model::tree_text::render_flux;

use super::store;

#[test]
fn terraform_with_a_pending_plan() {
    let s = store(&[("mgmt", &["flux-mgmt.yaml"])]);
    let t = terraform_tree(&s, "mgmt", "flux-system", "tf-vpc").expect("tree");
    snap!("tree_tf_vpc", render_flux(&t));
    let tf = &t.children[0];
    assert_eq!(tf.health.as_ref().map(|h| h.state), Some(HealthState::PlanPending));
    let secret = &tf.children[0];
    assert_eq!(secret.missing, Some(Missing::NotWatched), "fleetdeck never reads Secrets");
    let plan = &tf.children[1];
    assert_eq!(plan.health.as_ref().map(|h| h.state), Some(HealthState::PlanPending));
    assert_eq!(tf.depends_on, ["flux-system/tf-network"]);
}

#[test]
fn terraform_without_outputs_secret() {
    let s = store(&[("mgmt", &["flux-mgmt.yaml"])]);
    let t = terraform_tree(&s, "mgmt", "flux-system", "tf-network").expect("tree");
    snap!("tree_tf_network", render_flux(&t));
    assert!(terraform_tree(&s, "mgmt", "flux-system", "nope").is_none());
}
