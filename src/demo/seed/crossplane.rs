//! The demo's Crossplane, in `mgmt`, as Crossplane v2 and its providers leave it (REFERENCE-2.md section 1;
//! condition reasons from crossplane `apis/core/v2/condition.go` and `apis/pkg/v1/conditions.go`):
//!
//! - packages: the AWS RDS, IAM and S3 providers and provider-terraform healthy; `upbound-provider-aws-ec2`
//!   unhealthy (its runtime Deployment never became Available); function-patch-and-transform; each with its
//!   active revision (`RevisionHealthy` / `RuntimeHealthy`);
//! - a v1 (LegacyCluster) XRD `XPostgreSQLInstance` offering the claim `PostgreSQLInstance`, and a v2 namespaced
//!   XRD `XBucketStack`, each with its Composition (Pipeline mode);
//! - claims `team-a/orders-db` (its RDS Instance fails: `ReconcileError` with the AWS API's message),
//!   `team-a/payments-db` (available), `team-b/analytics-db` (paused: `crossplane.io/paused: "true"`);
//!   namespaced XRs `team-b/media` (its Bucket creating) and `team-b/archive` (being deleted, its Bucket held
//!   by the provider's finalizer);
//! - the composed resources: RDS Instances, IAM Roles, provider-terraform Workspaces (non-sensitive output
//!   names in `status.atProvider.outputs`), S3 Buckets and namespaced IAM Roles.
//!
//! No Crossplane runs in the demo, so [`crds`] stands in for its XRD controller (the XR and claim CRDs, with
//! Crossplane's printer columns and categories, schemas left open) and for the providers' MR CRDs: those the
//! composites use, and more that nothing references (fleetdeck must not watch them).
use serde_json::{Value, json};

use super::meta::{Clock, DAY, HOUR, MIN, annotations, labels, namespace, object, owned_by};

const XRD_V1: &str = "apiextensions.crossplane.io/v1";
const XRD_V2: &str = "apiextensions.crossplane.io/v2";
const DB: &str = "database.example.org/v1alpha1";
const STORAGE: &str = "storage.example.org/v1";
const RDS: &str = "rds.aws.upbound.io/v1beta1";
const IAM: &str = "iam.aws.upbound.io/v1beta1";
const TF: &str = "tf.upbound.io/v1beta1";
const S3_M: &str = "s3.aws.m.upbound.io/v1beta1";
const IAM_M: &str = "iam.aws.m.upbound.io/v1beta1";

/// The message provider-upjet-aws reports when RDS refuses the engine version (the AWS SDK's error, wrapped by
/// upjet's external client).
pub const RDS_ERROR: &str = "create failed: failed to create the resource: [{0 creating RDS DB Instance \
(orders-db-x7k2p-rds): operation error RDS: CreateDBInstance, https response error StatusCode: 400, RequestID: \
8f7c2b1e-6a41-4c1e-9a55-0d2f3b7e9c10, api error InvalidParameterCombination: Cannot find version 16.1 for \
postgres  []}]";

/// A condition with reason and message, `ago` seconds old.
fn cond(clock: &Clock, type_: &str, status: &str, reason: &str, message: &str, ago: i64) -> Value {
    json!({"type": type_, "status": status, "reason": reason, "message": message,
           "lastTransitionTime": clock.ago(ago)})
}

fn synced(clock: &Clock, ago: i64) -> Value {
    cond(clock, "Synced", "True", "ReconcileSuccess", "", ago)
}

fn available(clock: &Clock, ago: i64) -> Value {
    cond(clock, "Ready", "True", "Available", "", ago)
}

/// A CRD as the demo's stand-ins write it: open schema, status subresource, Crossplane's printer columns.
fn crd(group: &str, version: &str, kind: &str, plural: &str, namespaced: bool, categories: &[&str]) -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.{group}")},
        "spec": {
            "group": group,
            "scope": if namespaced { "Namespaced" } else { "Cluster" },
            "names": {"kind": kind, "plural": plural, "singular": kind.to_lowercase(),
                      "listKind": format!("{kind}List"), "categories": categories},
            "versions": [{
                "name": version, "served": true, "storage": true, "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
                "additionalPrinterColumns": [
                    {"name": "SYNCED", "type": "string", "jsonPath": ".status.conditions[?(@.type=='Synced')].status"},
                    {"name": "READY", "type": "string", "jsonPath": ".status.conditions[?(@.type=='Ready')].status"},
                    {"name": "AGE", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]
            }]
        }
    })
}

/// The CRDs the demo's Crossplane needs before its objects: the XR and claim CRDs its XRDs define, and the
/// providers' MR CRDs (five used, eight that nothing references).
pub fn crds() -> Vec<Value> {
    let mut out = vec![
        crd("database.example.org", "v1alpha1", "XPostgreSQLInstance", "xpostgresqlinstances", false, &["composite"]),
        crd("database.example.org", "v1alpha1", "PostgreSQLInstance", "postgresqlinstances", true, &["claim"]),
        crd("storage.example.org", "v1", "XBucketStack", "xbucketstacks", true, &["composite"]),
    ];
    let managed: &[(&str, &str, &str, bool, &str)] = &[
        ("rds.aws.upbound.io", "Instance", "instances", false, "aws"),
        ("iam.aws.upbound.io", "Role", "roles", false, "aws"),
        ("tf.upbound.io", "Workspace", "workspaces", false, "terraform"),
        ("s3.aws.m.upbound.io", "Bucket", "buckets", true, "aws"),
        ("iam.aws.m.upbound.io", "Role", "roles", true, "aws"),
        // Installed, referenced by nothing.
        ("rds.aws.upbound.io", "Cluster", "clusters", false, "aws"),
        ("rds.aws.upbound.io", "SubnetGroup", "subnetgroups", false, "aws"),
        ("rds.aws.upbound.io", "ParameterGroup", "parametergroups", false, "aws"),
        ("iam.aws.upbound.io", "Policy", "policies", false, "aws"),
        ("iam.aws.upbound.io", "RolePolicyAttachment", "rolepolicyattachments", false, "aws"),
        ("s3.aws.upbound.io", "Bucket", "buckets", false, "aws"),
        ("s3.aws.upbound.io", "BucketPolicy", "bucketpolicies", false, "aws"),
        ("ec2.aws.upbound.io", "VPC", "vpcs", false, "aws"),
    ];
    for (group, kind, plural, namespaced, tag) in managed {
        out.push(crd(group, "v1beta1", kind, plural, *namespaced, &["crossplane", "managed", tag]));
    }
    out
}

fn package(clock: &Clock, kind: &str, name: &str, image: &str, revision: &str, healthy: Option<&str>) -> Vec<Value> {
    let mut p = object("pkg.crossplane.io/v1", kind, None, name);
    p["spec"] = json!({"package": image, "revisionActivationPolicy": "Automatic", "revisionHistoryLimit": 1});
    let health = match healthy {
        None => cond(clock, "Healthy", "True", "HealthyPackageRevision", "", 6 * DAY),
        Some(msg) => cond(clock, "Healthy", "False", "UnhealthyPackageRevision", msg, 25 * MIN),
    };
    p["status"] = json!({
        "conditions": [cond(clock, "Installed", "True", "ActivePackageRevision", "", 6 * DAY), health],
        "currentRevision": revision, "currentIdentifier": image, "resolvedPackage": image,
    });
    let mut r = object("pkg.crossplane.io/v1", &format!("{kind}Revision"), None, revision);
    owned_by(&mut r, &p, true);
    labels(&mut r, &[("pkg.crossplane.io/package", name)]);
    r["spec"] = json!({"desiredState": "Active", "image": image, "revision": 1, "ignoreCrossplaneConstraints": false,
                       "skipDependencyResolution": false});
    let runtime = match healthy {
        None => cond(clock, "RuntimeHealthy", "True", "HealthyPackageRevision", "", 6 * DAY),
        Some(msg) => cond(clock, "RuntimeHealthy", "False", "UnhealthyPackageRevision", msg, 25 * MIN),
    };
    r["status"] = json!({"conditions": [
        cond(clock, "RevisionHealthy", "True", "HealthyPackageRevision", "", 6 * DAY), runtime]});
    vec![p, r]
}

fn xrds(clock: &Clock) -> Vec<Value> {
    let mut db = object(XRD_V1, "CompositeResourceDefinition", None, "xpostgresqlinstances.database.example.org");
    db["spec"] = json!({
        "group": "database.example.org", "scope": "LegacyCluster",
        "names": {"kind": "XPostgreSQLInstance", "plural": "xpostgresqlinstances"},
        "claimNames": {"kind": "PostgreSQLInstance", "plural": "postgresqlinstances"},
        "defaultCompositionRef": {"name": "xpostgresqlinstances.aws.database.example.org"},
        "versions": [{"name": "v1alpha1", "served": true, "referenceable": true, "schema": {"openAPIV3Schema": {
            "type": "object", "properties": {"spec": {"type": "object", "required": ["parameters"], "properties": {
                "parameters": {"type": "object", "required": ["storageGB"], "properties": {
                    "storageGB": {"type": "integer", "description": "Storage size, in GB.", "minimum": 20},
                    "engineVersion": {"type": "string", "enum": ["15", "16"], "default": "16",
                                      "description": "PostgreSQL major version."},
                    "region": {"type": "string", "default": "eu-west-1"}}}}}}}}}]
    });
    db["status"] = json!({"conditions": [
        cond(clock, "Established", "True", "WatchingCompositeResource", "", 40 * DAY),
        cond(clock, "Offered", "True", "WatchingClaim", "", 40 * DAY)]});
    let mut stack = object(XRD_V2, "CompositeResourceDefinition", None, "xbucketstacks.storage.example.org");
    stack["spec"] = json!({
        "group": "storage.example.org", "scope": "Namespaced",
        "names": {"kind": "XBucketStack", "plural": "xbucketstacks"},
        "versions": [{"name": "v1", "served": true, "referenceable": true, "schema": {"openAPIV3Schema": {
            "type": "object", "properties": {"spec": {"type": "object", "properties": {
                "region": {"type": "string", "default": "eu-west-1"},
                "versioning": {"type": "boolean", "default": true}}}}}}}]
    });
    stack["status"] =
        json!({"conditions": [cond(clock, "Established", "True", "WatchingCompositeResource", "", 12 * DAY)]});
    let composition = |name: &str, api_version: &str, kind: &str| {
        let mut c = object("apiextensions.crossplane.io/v1", "Composition", None, name);
        c["spec"] = json!({"compositeTypeRef": {"apiVersion": api_version, "kind": kind}, "mode": "Pipeline",
            "pipeline": [{"step": "patch-and-transform", "functionRef": {"name": "function-patch-and-transform"}}]});
        c
    };
    vec![
        db,
        stack,
        composition("xpostgresqlinstances.aws.database.example.org", DB, "XPostgreSQLInstance"),
        composition("xbucketstacks.aws.storage.example.org", STORAGE, "XBucketStack"),
    ]
}

/// A composed resource of `xr`: its controller reference, the composition step and the root labels.
fn composed(xr: &Value, api_version: &str, kind: &str, name: &str, step: &str, claim: Option<(&str, &str)>) -> Value {
    let ns = xr["metadata"]["namespace"].as_str();
    let mut o = object(api_version, kind, ns, name);
    owned_by(&mut o, xr, true);
    annotations(&mut o, &[("crossplane.io/composition-resource-name", step), ("crossplane.io/external-name", name)]);
    let root = xr["metadata"]["name"].as_str().unwrap_or_default();
    labels(&mut o, &[("crossplane.io/composite", root)]);
    if let Some((cns, cname)) = claim {
        labels(&mut o, &[("crossplane.io/claim-namespace", cns), ("crossplane.io/claim-name", cname)]);
    }
    o["spec"] = json!({"forProvider": {"region": "eu-west-1"}, "providerConfigRef": {"name": "default"},
                       "deletionPolicy": "Delete", "managementPolicies": ["*"]});
    o
}

fn reference(o: &Value, with_namespace: bool) -> Value {
    let mut r = json!({"apiVersion": o["apiVersion"], "kind": o["kind"], "name": o["metadata"]["name"]});
    if with_namespace && let Some(ns) = o["metadata"]["namespace"].as_str() {
        r["namespace"] = json!(ns);
    }
    r
}

/// How one database's claim, XR and composed resources stand.
#[derive(Clone, Copy, PartialEq)]
enum Db {
    Available,
    /// The RDS Instance fails (ReconcileError).
    Failing,
    /// The claim is paused.
    Paused,
}

/// A claim `namespace/name`, its XR `<name>-<suffix>` and three composed resources.
fn database(clock: &Clock, ns: &str, name: &str, suffix: &str, state: Db, age: i64) -> Vec<Value> {
    let xr_name = format!("{name}-{suffix}");
    let mut xr = object(DB, "XPostgreSQLInstance", None, &xr_name);
    labels(
        &mut xr,
        &[
            ("crossplane.io/composite", &xr_name),
            ("crossplane.io/claim-name", name),
            ("crossplane.io/claim-namespace", ns),
        ],
    );
    let rds = composed(&xr, RDS, "Instance", &format!("{xr_name}-rds"), "instance", Some((ns, name)));
    let role = composed(&xr, IAM, "Role", &format!("{xr_name}-role"), "role", Some((ns, name)));
    let dns = composed(&xr, TF, "Workspace", &format!("{xr_name}-dns"), "dns", Some((ns, name)));
    let parameters = json!({"storageGB": 50, "engineVersion": "16", "region": "eu-west-1"});
    xr["spec"] = json!({
        "parameters": parameters,
        "compositionRef": {"name": "xpostgresqlinstances.aws.database.example.org"},
        "compositionUpdatePolicy": "Automatic",
        "claimRef": {"apiVersion": DB, "kind": "PostgreSQLInstance", "namespace": ns, "name": name},
        "writeConnectionSecretToRef": {"namespace": "crossplane-system", "name": format!("{xr_name}-conn")},
        "resourceRefs": [reference(&rds, false), reference(&role, false), reference(&dns, false)],
    });
    let mut claim = object(DB, "PostgreSQLInstance", Some(ns), name);
    claim["spec"] = json!({
        "parameters": parameters,
        "compositionRef": {"name": "xpostgresqlinstances.aws.database.example.org"},
        "compositeDeletePolicy": "Background",
        "resourceRef": {"apiVersion": DB, "kind": "XPostgreSQLInstance", "name": xr_name},
        "writeConnectionSecretToRef": {"name": format!("{name}-conn")},
    });
    let mut rds = rds;
    let (mut role, mut dns) = (role, dns);
    let ok = |o: &mut Value, ago: i64| o["status"] = json!({"conditions": [synced(clock, ago), available(clock, ago)]});
    ok(&mut role, age - 5 * MIN);
    dns["status"] = json!({
        "conditions": [synced(clock, age - 4 * MIN), available(clock, age - 4 * MIN)],
        "atProvider": {"checksum": "9c1f0e6a2b", "outputs": {"zone_id": "Z0123456789ABCDEFGHIJ", "record_fqdn": format!("{name}.db.example.org")}},
    });
    match state {
        Db::Failing => {
            rds["status"] = json!({"conditions": [
                cond(clock, "Synced", "False", "ReconcileError", RDS_ERROR, 3 * MIN),
                cond(clock, "Ready", "False", "Creating", "", age)]});
            xr["status"] = json!({"conditions": [synced(clock, age),
                cond(clock, "Ready", "False", "Creating", "Unready resources: instance", age)]});
            claim["status"] = json!({"conditions": [synced(clock, age),
                cond(clock, "Ready", "False", "Waiting", "Claim is waiting for composite resource to become Ready", age)]});
        }
        Db::Available | Db::Paused => {
            ok(&mut rds, age - 12 * MIN);
            xr["status"] = json!({"conditions": [synced(clock, age - 12 * MIN), available(clock, age - 12 * MIN)],
                                  "connectionDetails": {"lastPublishedTime": clock.ago(age - 12 * MIN)}});
            claim["status"] = json!({"conditions": [synced(clock, age - 12 * MIN), available(clock, age - 12 * MIN)]});
        }
    }
    if state == Db::Paused {
        annotations(&mut claim, &[("crossplane.io/paused", "true")]);
        claim["status"]["conditions"][0] = cond(
            clock,
            "Synced",
            "False",
            "ReconcilePaused",
            "Reconciliation is paused via the pause annotation",
            2 * HOUR,
        );
    }
    vec![claim, xr, rds, role, dns]
}

/// A namespaced XR `team-b/<name>` with an S3 Bucket and an IAM Role; `bucket_ready` says whether the bucket
/// is there yet.
fn bucket_stack(clock: &Clock, name: &str, bucket_ready: bool, age: i64) -> Vec<Value> {
    let mut xr = object(STORAGE, "XBucketStack", Some("team-b"), name);
    labels(&mut xr, &[("crossplane.io/composite", name)]);
    let mut bucket = composed(&xr, S3_M, "Bucket", &format!("{name}-bkt"), "bucket", None);
    let mut role = composed(&xr, IAM_M, "Role", &format!("{name}-writer"), "writer", None);
    xr["spec"] = json!({"region": "eu-west-1", "versioning": true, "crossplane": {
        "compositionRef": {"name": "xbucketstacks.aws.storage.example.org"},
        "compositionUpdatePolicy": "Automatic",
        "resourceRefs": [reference(&bucket, false), reference(&role, false)]}});
    role["status"] = json!({"conditions": [synced(clock, age - MIN), available(clock, age - MIN)]});
    if bucket_ready {
        bucket["status"] = json!({"conditions": [synced(clock, age - 2 * MIN), available(clock, age - 2 * MIN)]});
        xr["status"] = json!({"conditions": [synced(clock, age - 2 * MIN), available(clock, age - 2 * MIN)]});
    } else {
        bucket["status"] =
            json!({"conditions": [synced(clock, 90), cond(clock, "Ready", "False", "Creating", "", 90)]});
        xr["status"] = json!({"conditions": [synced(clock, 90),
            cond(clock, "Ready", "False", "Creating", "Unready resources: bucket", 90)]});
    }
    vec![xr, bucket, role]
}

/// One claim of `--scale` in `namespace`: `<template>-db`, its XR `<template>-db-x0000` and its three
/// composed resources, all available (the scale seed clones it with its names rewritten).
pub(super) fn scale_unit(clock: &Clock, namespace: &str, template: &str) -> Vec<Value> {
    database(clock, namespace, &format!("{template}-db"), "x0000", Db::Available, 2 * DAY)
}

/// Every Crossplane object of `mgmt`, Namespaces first; the XR `team-b/archive` and its Bucket are deleted right
/// after ([`to_delete`]), their finalizers keeping them Terminating.
pub(super) fn objects(clock: &Clock) -> Vec<Value> {
    let mut out = vec![namespace("crossplane-system"), namespace("team-a"), namespace("team-b")];
    let unhealthy = "post establish runtime hook failed for package: provider package deployment has no \
                     condition of type \"Available\" yet";
    for (name, tag, rev, health) in [
        ("upbound-provider-aws-rds", "v1.21.0", "9ad7b5db2899", None),
        ("upbound-provider-aws-iam", "v1.21.0", "3e1c0f57aa41", None),
        ("upbound-provider-aws-s3", "v1.21.0", "51b2d8e0c7f3", None),
        ("upbound-provider-aws-ec2", "v1.21.0", "c04d2be61a9e", Some(unhealthy)),
        ("upbound-provider-terraform", "v1.0.0", "7f2a91c3d5e8", None),
    ] {
        let image = format!("xpkg.upbound.io/upbound/{}:{tag}", name.trim_start_matches("upbound-"));
        out.extend(package(clock, "Provider", name, &image, &format!("{name}-{rev}"), health));
    }
    out.extend(package(
        clock,
        "Function",
        "function-patch-and-transform",
        "xpkg.upbound.io/crossplane-contrib/function-patch-and-transform:v0.8.2",
        "function-patch-and-transform-2b9f4e7d1c0a",
        None,
    ));
    out.extend(xrds(clock));
    out.extend(database(clock, "team-a", "orders-db", "x7k2p", Db::Failing, 40 * MIN));
    out.extend(database(clock, "team-a", "payments-db", "9sd2k", Db::Available, 9 * DAY));
    out.extend(database(clock, "team-b", "analytics-db", "m4n8q", Db::Paused, 3 * DAY));
    out.extend(bucket_stack(clock, "media", false, 90));
    let mut archive = bucket_stack(clock, "archive", true, 20 * DAY);
    archive[0]["metadata"]["finalizers"] = json!(["composite.apiextensions.crossplane.io"]);
    archive[1]["metadata"]["finalizers"] = json!(["finalizer.managedresource.crossplane.io"]);
    archive[1]["status"]["conditions"][1] = cond(clock, "Ready", "False", "Deleting", "", 30);
    archive[0]["status"]["conditions"][1] = cond(clock, "Ready", "False", "Deleting", "Unready resources: bucket", 30);
    out.extend(archive);
    out
}

/// The objects deleted right after seeding (`{apiVersion, kind, namespace, name}`): the XR `team-b/archive`
/// and its Bucket, which their finalizers keep Terminating.
pub fn to_delete() -> Vec<Value> {
    vec![
        json!({"apiVersion": STORAGE, "kind": "XBucketStack", "namespace": "team-b", "name": "archive"}),
        json!({"apiVersion": S3_M, "kind": "Bucket", "namespace": "team-b", "name": "archive-bkt"}),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_names_a_seeded_object_and_every_kind_has_a_crd() {
        let clock = Clock::new(k8s_openapi::jiff::Timestamp::UNIX_EPOCH);
        let objects = objects(&clock);
        let crds = crds();
        let served: Vec<(String, String)> = crds
            .iter()
            .map(|c| {
                (
                    c["spec"]["group"].as_str().unwrap_or("").to_string(),
                    c["spec"]["names"]["kind"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        for o in &objects {
            let api_version = o["apiVersion"].as_str().unwrap_or("");
            let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
            let builtin = group.is_empty() || group.ends_with(".crossplane.io");
            assert!(
                builtin || served.contains(&(group.to_string(), o["kind"].as_str().unwrap_or("").to_string())),
                "{o}"
            );
            let obj: kube::api::DynamicObject = serde_json::from_value(o.clone()).expect("object");
            for r in crate::model::crossplane::references(&obj) {
                let found = objects.iter().any(|x| {
                    x["apiVersion"] == r.api_version.as_str()
                        && x["kind"] == r.kind.as_str()
                        && x["metadata"]["name"] == r.name.as_str()
                        && x["metadata"]["namespace"].as_str().unwrap_or("") == r.namespace
                });
                assert!(found, "{} references {r:?}, which is not seeded", o["metadata"]["name"]);
            }
        }
        assert_eq!(crds.len(), 16);
    }
}
