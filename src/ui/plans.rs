//! The Terraform view's PLAN column (issue 16, item 4), cockpit side: the per-resource counts of each pending
//! plan (`~1 -1 -/+1`), read once per plan id from its readable plan. Pure: what was asked and what came
//! back ([`PlanReads`]); [`follow`] (called by the loop after each frame while the Terraform view is shown)
//! returns an [`Effect::ReadPlan`] for each pending plan not read yet, `effects.rs` reads it
//! (`ops::terraform::readable_plan`, one GET) and [`apply`] keeps the answer.
//!
//! A plan id names one plan: once read, a plan is not read again until the object's pending id changes.
use std::collections::HashMap;

use super::msg::{Effect, PlanRead};
use super::rows::Rows;
use crate::model::object_ref::ObjectRef;

/// The counts of one pending plan, or why there are none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanCounts {
    /// The plan id they were read for (`status.plan.pending`).
    pub plan: String,
    /// `~1 -1 -/+1` ([`crate::model::plan_summary::PlanSummary::counts_text`]) and whether something is
    /// destroyed (a destroy or a replacement), or why the plan could not be read.
    pub counts: Option<Result<(String, bool), String>>,
}

/// The pending plans of the Terraform view, asked or read, by object.
#[derive(Debug, Clone, Default)]
pub struct PlanReads {
    /// By object: the plan id asked for and, once answered, its counts.
    pub plans: HashMap<ObjectRef, PlanCounts>,
}

impl PlanReads {
    /// The counts to show for `obj` while its pending plan is `plan`: `None` until read (or for another plan).
    pub fn counts(&self, obj: &ObjectRef, plan: &str) -> Option<&Result<(String, bool), String>> {
        self.plans.get(obj).filter(|p| p.plan == plan).and_then(|p| p.counts.as_ref())
    }
}

/// Asks for the plans of the Terraform rows whose pending plan was not asked for yet (`shown`: the Terraform
/// view is on screen), and forgets the objects no longer pending.
pub fn follow(reads: &mut PlanReads, shown: bool, rows: &Rows) -> Vec<Effect> {
    if !shown {
        return Vec::new();
    }
    let mut fx = Vec::new();
    let mut pending: HashMap<&ObjectRef, &str> = HashMap::new();
    for r in &rows.terraform {
        if let Some(plan) = &r.pending_plan {
            pending.insert(&r.obj, plan);
            if reads.plans.get(&r.obj).is_none_or(|p| p.plan != *plan) {
                reads.plans.insert(r.obj.clone(), PlanCounts { plan: plan.clone(), counts: None });
                fx.push(Effect::ReadPlan { obj: r.obj.clone(), plan: plan.clone() });
            }
        }
    }
    reads.plans.retain(|obj, p| pending.get(obj).is_some_and(|plan| *plan == p.plan));
    fx
}

/// Keeps a read's answer when it is still the one asked for.
pub fn apply(reads: &mut PlanReads, read: PlanRead) {
    if let Some(p) = reads.plans.get_mut(&read.obj)
        && p.plan == read.plan
    {
        p.counts = Some(read.counts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::kinds::KindId;
    use crate::model::status::{Health, HealthState};
    use crate::ui::rows::TerraformRow;
    use std::sync::Arc;

    fn rows(pending: &[(&str, Option<&str>)]) -> Rows {
        let mut rows = Rows::default();
        rows.terraform = pending
            .iter()
            .map(|(name, plan)| {
                Arc::new(TerraformRow {
                    obj: ObjectRef::new("mgmt", KindId::TERRAFORM, "flux-system", *name),
                    health: Health::new(HealthState::PlanPending, "", ""),
                    pending_plan: plan.map(str::to_string),
                    outputs: Vec::new(),
                    revision: String::new(),
                    last_plan_at: None,
                })
            })
            .collect();
        rows
    }

    fn asked(fx: &[Effect]) -> Vec<(String, String)> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::ReadPlan { obj, plan } => Some((obj.name.clone(), plan.clone())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn each_pending_plan_is_read_once_and_a_new_id_is_read_again() {
        let mut reads = PlanReads::default();
        let r = rows(&[("a", Some("plan-1")), ("b", None)]);
        assert!(follow(&mut reads, false, &r).is_empty(), "nothing while the view is not shown");
        assert_eq!(asked(&follow(&mut reads, true, &r)), [("a".to_string(), "plan-1".to_string())]);
        assert!(follow(&mut reads, true, &r).is_empty(), "asked already");
        let a = ObjectRef::new("mgmt", KindId::TERRAFORM, "flux-system", "a");
        assert_eq!(reads.counts(&a, "plan-1"), None);
        apply(&mut reads, PlanRead { obj: a.clone(), plan: "plan-1".into(), counts: Ok(("~1 -1".into(), true)) });
        assert_eq!(reads.counts(&a, "plan-1"), Some(&Ok(("~1 -1".to_string(), true))));
        // A replan: the new id is read, the old answer is not shown for it, and a late answer for the old
        // plan is dropped.
        let r = rows(&[("a", Some("plan-2"))]);
        assert_eq!(asked(&follow(&mut reads, true, &r)), [("a".to_string(), "plan-2".to_string())]);
        assert_eq!(reads.counts(&a, "plan-2"), None);
        apply(&mut reads, PlanRead { obj: a.clone(), plan: "plan-1".into(), counts: Ok(("+9".into(), false)) });
        assert_eq!(reads.counts(&a, "plan-2"), None);
        // Applied: no plan pending, the entry goes.
        follow(&mut reads, true, &rows(&[("a", None)]));
        assert!(reads.plans.is_empty());
    }
}
