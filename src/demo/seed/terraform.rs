//! tofu-controller Terraform objects in the management cluster (`infra.contrib.fluxcd.io/v1alpha2`,
//! namespace `flux-system`), planning from GitRepository `infra-terraform`, one per state the cockpit shows:
//! - `network-eu`: applied, outputs written to Secret `network-eu-outputs` (seeded, owned by it);
//! - `rds-orders`: a plan waiting for approval (`spec.approvePlan: ""`, Ready Unknown with
//!   `Plan generated: set approvePlan: "<planId>" to approve this plan.`), its plan Secret and readable plan;
//! - `dns-zones`: `terraform plan` fails (Ready False, TFExecPlanFailed);
//! - `iam-eks-addons`: drift detected (Ready False, DriftDetected, `plan.isDriftDetectionPlan`).
//!
//! Condition types and reasons follow tofu-controller v0.16 (`api/v1alpha2/condition_types.go`,
//! `terraform_types.go`); plan ids follow [`super::plan_id`]. Plan and state Secrets carry the labels
//! tofu-controller's runner writes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::flux::git_repository;
use super::ids::{self, plan_id, revision};
use super::meta::{Clock, Conditions, DAY, HOUR, MIN, annotations, labels, object, owned_by};

/// `infra.contrib.fluxcd.io/v1alpha2`.
pub(super) const TERRAFORM: &str = "infra.contrib.fluxcd.io/v1alpha2";
/// Commit number `main` of the Terraform repository is at.
pub(super) const TERRAFORM_COMMIT: u64 = 31;
/// The message of a pending plan, exactly as tofu-controller writes it.
pub(super) fn pending_plan_message(plan: &str) -> String {
    format!("Plan generated: set approvePlan: \"{plan}\" to approve this plan.")
}

pub(super) const NS: &str = "flux-system";

const PLAN_FAILED: &str = r#"error running Plan: rpc error: code = Internal desc = exit status 1

Error: Reference to undeclared input variable

  on main.tf line 27, in resource "aws_route53_record" "apex":
  27:   zone_id = var.zone_idd

An input variable with the name "zone_idd" has not been declared. Did you mean "zone_id"?"#;

const DRIFT: &str = r#"Note: Objects have changed outside of Terraform

Terraform detected the following changes made outside of Terraform since the
last "terraform apply" which may have affected this plan:

  # aws_iam_role.external_dns has changed
  ~ resource "aws_iam_role" "external_dns" {
        id                    = "external-dns-prod-us"
      ~ max_session_duration  = 3600 -> 43200
        name                  = "external-dns-prod-us"
        # (9 unchanged attributes hidden)
    }

Unless you have made equivalent changes to your configuration, or ignored the
relevant attributes using ignore_changes, the following plan may include
actions to undo or respond to these changes."#;

/// The pending plan of `rds-orders`, as `terraform show` prints it: the move to PostgreSQL 16 replaces the
/// parameter group (its family forces it), updates the instance in place and destroys the option group the
/// configuration no longer has.
const READABLE_PLAN: &str = r#"Terraform used the selected providers to generate the following execution
plan. Resource actions are indicated with the following symbols:
  ~ update in-place
  - destroy
-/+ destroy and then create replacement

Terraform will perform the following actions:

  # aws_db_instance.orders will be updated in-place
  ~ resource "aws_db_instance" "orders" {
      ~ allocated_storage    = 100 -> 200
      ~ engine_version       = "15.8" -> "16.4"
        id                   = "db-ORDERS7Q2K4N"
      ~ instance_class       = "db.r6g.large" -> "db.r6g.xlarge"
      ~ parameter_group_name = "orders-pg15" -> "orders-pg16"
        # (38 unchanged attributes hidden)
    }

  # aws_db_option_group.orders_legacy will be destroyed
  # (because aws_db_option_group.orders_legacy is not in configuration)
  - resource "aws_db_option_group" "orders_legacy" {
      - arn                      = "arn:aws:rds:eu-west-1:123456789012:og:orders-legacy" -> null
      - engine_name              = "postgres" -> null
      - id                       = "orders-legacy" -> null
      - major_engine_version     = "15" -> null
      - name                     = "orders-legacy" -> null
      - option_group_description = "Managed by Terraform" -> null
      - tags                     = {} -> null
    }

  # aws_db_parameter_group.orders must be replaced
-/+ resource "aws_db_parameter_group" "orders" {
      ~ arn         = "arn:aws:rds:eu-west-1:123456789012:pg:orders-pg15" -> (known after apply)
      ~ family      = "postgres15" -> "postgres16" # forces replacement
      ~ id          = "orders-pg15" -> (known after apply)
      ~ name        = "orders-pg15" -> "orders-pg16" # forces replacement
        # (3 unchanged attributes hidden)
    }

Plan: 1 to add, 1 to change, 2 to destroy."#;

fn terraform(name: &str, path: &str, approve: &str) -> Value {
    let mut tf = object(TERRAFORM, "Terraform", Some(NS), name);
    tf["spec"] = json!({
        "approvePlan": approve,
        "interval": "10m",
        "path": path,
        "sourceRef": { "kind": "GitRepository", "name": "infra-terraform", "namespace": NS },
        "serviceAccountName": "tf-runner",
        "enableInventory": true,
    });
    tf
}

fn resource(name: &str, type_: &str, id: String) -> Value {
    json!({ "n": name, "t": type_, "id": id })
}

/// `network-eu` and its outputs and state Secrets.
pub(super) fn network(clock: &Clock) -> Vec<Value> {
    let rev = revision("main", TERRAFORM_COMMIT);
    let mut tf = terraform("network-eu", "./aws/network/eu-west-1", "auto");
    let outputs = ["vpc_id", "private_subnet_ids", "public_subnet_ids"];
    tf["spec"]["vars"] =
        json!([{ "name": "region", "value": "eu-west-1" }, { "name": "cidr", "value": "10.10.0.0/16" }]);
    tf["spec"]["writeOutputsToSecret"] = json!({ "name": "network-eu-outputs", "outputs": outputs });
    let since = 4 * HOUR;
    let written = format!("Outputs written: {rev}");
    let vpc = format!("vpc-{}", ids::hex("network-eu/vpc", 17));
    let subnets = |kind: &str| -> Vec<String> {
        ["a", "b", "c"].iter().map(|z| format!("subnet-{}", ids::hex(&format!("network-eu/{kind}/{z}"), 17))).collect()
    };
    let mut inventory = vec![resource("main", "aws_vpc", vpc.clone())];
    for (i, id) in subnets("private").into_iter().enumerate() {
        inventory.push(resource(&format!("private[{i}]"), "aws_subnet", id));
    }
    inventory.push(resource("nat", "aws_nat_gateway", format!("nat-{}", ids::hex("network-eu/nat", 17))));
    tf["status"] = json!({
        "observedGeneration": 1,
        "conditions": Conditions::new(clock, since)
            .add("Ready", "True", "TerraformOutputsWritten", &written)
            .add("Plan", "True", "TerraformPlannedWithChanges", "Plan generated")
            .add("Apply", "True", "TerraformAppliedSucceed", "Applied successfully")
            .add("Output", "True", "TerraformOutputsWritten", "Outputs written")
            .build(),
        "availableOutputs": ["nat_gateway_ips", "private_subnet_ids", "public_subnet_ids", "vpc_id"],
        "lastAppliedRevision": rev,
        "lastAttemptedRevision": rev,
        "lastPlannedRevision": rev,
        "lastPlanAt": clock.ago(since + 2 * MIN),
        "lastSuccessfulReconcileAt": clock.ago(since),
        "plan": { "lastApplied": plan_id(&rev) },
        "inventory": { "entries": inventory },
    });

    let mut out = object("v1", "Secret", Some(NS), "network-eu-outputs");
    owned_by(&mut out, &tf, true);
    out["type"] = json!("Opaque");
    let list = |ids: Vec<String>| serde_json::to_string(&ids).unwrap_or_default();
    out["data"] = json!({
        "vpc_id": STANDARD.encode(&vpc),
        "private_subnet_ids": STANDARD.encode(list(subnets("private"))),
        "public_subnet_ids": STANDARD.encode(list(subnets("public"))),
    });

    let mut state = object("v1", "Secret", Some(NS), "tfstate-default-network-eu");
    labels(
        &mut state,
        &[
            ("app.kubernetes.io/managed-by", "terraform"),
            ("tfstate", "true"),
            ("tfstateSecretSuffix", "network-eu"),
            ("tfstateWorkspace", "default"),
        ],
    );
    annotations(&mut state, &[("encoding", "gzip")]);
    state["type"] = json!("Opaque");
    state["data"] = json!({ "tfstate": STANDARD.encode(format!("(demo state of network-eu, serial 42, lineage {})", ids::hex("lineage", 32))) });
    vec![tf, out, state]
}

/// `rds-orders`: a plan for a new commit waiting for approval, with its plan Secret and readable plan.
fn pending(clock: &Clock) -> Vec<Value> {
    let rev = revision("main", TERRAFORM_COMMIT);
    let old = revision("main", TERRAFORM_COMMIT - 3);
    let plan = plan_id(&rev);
    let mut tf = terraform("rds-orders", "./aws/rds/orders", "");
    tf["spec"]["storeReadablePlan"] = json!("human");
    tf["spec"]["vars"] = json!([{ "name": "instance_class", "value": "db.r6g.xlarge" }]);
    tf["status"] = json!({
        "observedGeneration": 1,
        "conditions": Conditions::new(clock, 35 * MIN)
            .add("Ready", "Unknown", "TerraformPlannedWithChanges", &pending_plan_message(&plan))
            .add("Plan", "True", "TerraformPlannedWithChanges", "Plan generated")
            .since(9 * DAY)
            .add("Apply", "True", "TerraformAppliedSucceed", "Applied successfully")
            .build(),
        "lastAppliedRevision": old,
        "lastAttemptedRevision": rev,
        "lastPlannedRevision": rev,
        "lastPlanAt": clock.ago(35 * MIN),
        "plan": { "pending": plan, "lastApplied": plan_id(&old) },
    });
    let plan_labels =
        [("infra.contrib.fluxcd.io/plan-name", plan.as_str()), ("infra.contrib.fluxcd.io/plan-workspace", "default")];
    let mut secret = object("v1", "Secret", Some(NS), "tfplan-default-rds-orders");
    labels(&mut secret, &plan_labels);
    annotations(&mut secret, &[("encoding", "gzip"), ("savedPlan", &plan)]);
    owned_by(&mut secret, &tf, true);
    secret["type"] = json!("Opaque");
    secret["data"] = json!({ "tfplan": STANDARD.encode(format!("(demo binary plan {plan})")) });
    let mut readable = object("v1", "ConfigMap", Some(NS), "tfplan-default-rds-orders");
    labels(&mut readable, &plan_labels);
    owned_by(&mut readable, &tf, true);
    readable["data"] = json!({ "tfplan": READABLE_PLAN });
    vec![tf, secret, readable]
}

/// `dns-zones`: `terraform plan` fails on the latest commit.
fn failed(clock: &Clock) -> Value {
    let rev = revision("main", TERRAFORM_COMMIT);
    let old = revision("main", TERRAFORM_COMMIT - 4);
    let mut tf = terraform("dns-zones", "./aws/route53", "auto");
    tf["status"] = json!({
        "observedGeneration": 1,
        "conditions": Conditions::new(clock, 52 * MIN)
            .add("Ready", "False", "TFExecPlanFailed", PLAN_FAILED)
            .since(12 * DAY)
            .add("Apply", "True", "TerraformAppliedSucceed", "Applied successfully")
            .build(),
        "lastAppliedRevision": old,
        "lastAttemptedRevision": rev,
        "lastPlannedRevision": old,
        "reconciliationFailures": 4,
        "plan": { "lastApplied": plan_id(&old) },
    });
    tf
}

/// `iam-eks-addons`: a drift detection plan found changes made outside Terraform.
pub(super) fn drifted(clock: &Clock) -> Value {
    let rev = revision("main", TERRAFORM_COMMIT);
    let mut tf = terraform("iam-eks-addons", "./aws/iam/eks-addons", "");
    tf["status"] = json!({
        "observedGeneration": 1,
        "conditions": Conditions::new(clock, 18 * MIN)
            .add("Ready", "False", "DriftDetected", DRIFT)
            .since(3 * DAY)
            .add("Plan", "False", "TerraformPlannedNoChanges", "Plan no changes")
            .add("Apply", "True", "TerraformAppliedSucceed", "Applied successfully")
            .build(),
        "lastAppliedRevision": rev,
        "lastAttemptedRevision": rev,
        "lastPlannedRevision": rev,
        "lastDriftDetectedAt": clock.ago(18 * MIN),
        "plan": { "lastApplied": plan_id(&rev), "isDriftDetectionPlan": true },
    });
    tf
}

/// The Terraform source and objects with their Secrets and ConfigMaps, in creation order (owners first).
pub(super) fn terraform_objects(clock: &Clock) -> Vec<Value> {
    let mut objects = vec![git_repository(
        clock,
        NS,
        "infra-terraform",
        "ssh://git@github.example/acme/infra-terraform",
        TERRAFORM_COMMIT,
        5 * MIN,
    )];
    objects.extend(network(clock));
    objects.extend(pending(clock));
    let failing = failed(clock);
    // tofu-controller's recorder: the failing plan, retried 4 times.
    let first_line = PLAN_FAILED.lines().next().unwrap_or_default();
    objects.push(super::core::warning_event(
        clock,
        &failing,
        "TFExecPlanFailed",
        first_line,
        4,
        (52 * MIN, 3 * MIN),
        "tf-controller",
    ));
    objects.push(failing);
    objects.push(drifted(clock));
    objects
}
