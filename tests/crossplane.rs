//! Crossplane against a real API server with Crossplane's upstream CRDs (crossplane v2.4.0's XRD,
//! Composition and package CRDs; the XR and claim CRDs written by the `crossplane` CLI v2.5.0's
//! `xrd convert`, as Crossplane's XRD controller would): which kinds fleetdeck watches (only those the XRDs
//! define and the composites reference, not every installed MR CRD), their health, the trace tree, and
//! `fleetdeck tree claim|composite` beside `crossplane resource trace` on the same objects.
//!
//! No provider's MR CRDs are served by the Go module proxy (provider-upjet-aws, provider-terraform: 403 on
//! 2026-12-04), so the MR CRDs are fleetdeck's own, open, with the upstream names, scopes and categories.
mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{create_with_status, run, until};
use fleetdeck::envtest::Envtest;
use fleetdeck::envtest::crossplane::install_xrd;
use fleetdeck::envtest::oracles;
use fleetdeck::fleet::{Fleet, FleetOptions};
use fleetdeck::model::kinds::{Dynamic, KindId};
use fleetdeck::model::status::HealthState;
use fleetdeck::model::store::FleetStore;
use fleetdeck::model::{trace_text, xp_tree};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::{Value, json};

const LEGACY_XRD: &str = r#"
apiVersion: apiextensions.crossplane.io/v1
kind: CompositeResourceDefinition
metadata:
  name: xpostgresqlinstances.database.example.org
spec:
  group: database.example.org
  names: {kind: XPostgreSQLInstance, plural: xpostgresqlinstances}
  claimNames: {kind: PostgreSQLInstance, plural: postgresqlinstances}
  versions:
  - name: v1alpha1
    served: true
    referenceable: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              parameters:
                type: object
                properties:
                  storageGB: {type: integer, description: Size of the database in GB.}
                  engineVersion: {type: string, enum: ["15", "16"], default: "16"}
                  region: {type: string}
                required: [storageGB]
            required: [parameters]
"#;

const NAMESPACED_XRD: &str = r#"
apiVersion: apiextensions.crossplane.io/v2
kind: CompositeResourceDefinition
metadata:
  name: xbucketstacks.storage.example.org
spec:
  group: storage.example.org
  scope: Namespaced
  names: {kind: XBucketStack, plural: xbucketstacks}
  versions:
  - name: v1
    served: true
    referenceable: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              region: {type: string}
"#;

/// A managed resource CRD as a provider ships it (names, scope, categories), with an open schema.
fn managed_crd(group: &str, kind: &str, plural: &str, namespaced: bool, tag: &str) -> CustomResourceDefinition {
    serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.{group}")},
        "spec": {"group": group, "scope": if namespaced { "Namespaced" } else { "Cluster" },
            "names": {"kind": kind, "plural": plural, "listKind": format!("{kind}List"),
                      "singular": kind.to_lowercase(), "categories": ["crossplane", "managed", tag]},
            "versions": [{"name": "v1beta1", "served": true, "storage": true, "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}
    }))
    .expect("crd")
}

/// The referenced MR kinds, and four installed ones nothing references.
fn managed_crds() -> Vec<CustomResourceDefinition> {
    vec![
        managed_crd("rds.aws.upbound.io", "Instance", "instances", false, "aws"),
        managed_crd("iam.aws.upbound.io", "Role", "roles", false, "aws"),
        managed_crd("tf.upbound.io", "Workspace", "workspaces", false, "terraform"),
        managed_crd("s3.aws.m.upbound.io", "Bucket", "buckets", true, "aws"),
        managed_crd("ec2.aws.upbound.io", "VPC", "vpcs", false, "aws"),
        managed_crd("ec2.aws.upbound.io", "Subnet", "subnets", false, "aws"),
        managed_crd("ec2.aws.upbound.io", "SecurityGroup", "securitygroups", false, "aws"),
        managed_crd("eks.aws.upbound.io", "Cluster", "clusters", false, "aws"),
    ]
}

fn api(
    client: &kube::Client,
    group: &str,
    version: &str,
    kind: &str,
    plural: &str,
    ns: Option<&str>,
) -> Api<DynamicObject> {
    let ar = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
    match ns {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
        None => Api::all_with(client.clone(), &ar),
    }
}

fn cond(type_: &str, status: &str, reason: &str, message: &str) -> Value {
    json!({"type": type_, "status": status, "reason": reason, "message": message,
           "lastTransitionTime": "2026-12-04T07:00:00Z"})
}

const RDS_ERROR: &str = "create failed: failed to create the resource: [{0 creating RDS DB Instance \
(orders-db-x7k2p-rds): operation error RDS: CreateDBInstance, https response error StatusCode: 400, \
RequestID: 8f7c2b1e-6a41-4c1e-9a55-0d2f3b7e9c10, api error InvalidParameterCombination: Cannot find version \
16.1 for postgres  []}]";

/// A server with the upstream Crossplane CRDs, both XRDs, the MR CRDs, and a claim, two XRs and their
/// composed resources as Crossplane and its providers leave them.
async fn crossplane_server() -> anyhow::Result<(Envtest, kube::Client)> {
    let env = Envtest::builder().server("a").start().await?;
    env.install_crds("a").await?;
    let client = env.client("a").await?;
    install_xrd(&client, LEGACY_XRD).await?;
    install_xrd(&client, NAMESPACED_XRD).await?;
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in managed_crds() {
        crds.create(&PostParams::default(), &crd).await?;
    }
    for ns in ["team-a", "team-b"] {
        let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": ns}}))?;
        Api::<Namespace>::all(client.clone()).create(&PostParams::default(), &ns).await?;
    }
    // Wait for the MR CRDs to be served.
    let deadline = Instant::now() + Duration::from_secs(20);
    while api(&client, "eks.aws.upbound.io", "v1beta1", "Cluster", "clusters", None)
        .list(&Default::default())
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "MR CRDs not served within 20 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let claim_api =
        api(&client, "database.example.org", "v1alpha1", "PostgreSQLInstance", "postgresqlinstances", Some("team-a"));
    create_with_status(&claim_api, json!({
        "apiVersion": "database.example.org/v1alpha1", "kind": "PostgreSQLInstance",
        "metadata": {"name": "orders-db", "namespace": "team-a"},
        "spec": {"parameters": {"storageGB": 20},
                 "resourceRef": {"apiVersion": "database.example.org/v1alpha1", "kind": "XPostgreSQLInstance", "name": "orders-db-x7k2p"}}
    }), json!({"conditions": [cond("Synced", "True", "ReconcileSuccess", ""),
        cond("Ready", "False", "Waiting", "Claim is waiting for composite resource to become Ready")]})).await?;
    let xr_api = api(&client, "database.example.org", "v1alpha1", "XPostgreSQLInstance", "xpostgresqlinstances", None);
    create_with_status(&xr_api, json!({
        "apiVersion": "database.example.org/v1alpha1", "kind": "XPostgreSQLInstance",
        "metadata": {"name": "orders-db-x7k2p", "labels": {"crossplane.io/composite": "orders-db-x7k2p",
            "crossplane.io/claim-name": "orders-db", "crossplane.io/claim-namespace": "team-a"}},
        "spec": {"parameters": {"storageGB": 20},
            "claimRef": {"apiVersion": "database.example.org/v1alpha1", "kind": "PostgreSQLInstance", "namespace": "team-a", "name": "orders-db"},
            "resourceRefs": [
                {"apiVersion": "rds.aws.upbound.io/v1beta1", "kind": "Instance", "name": "orders-db-x7k2p-rds"},
                {"apiVersion": "iam.aws.upbound.io/v1beta1", "kind": "Role", "name": "orders-db-x7k2p-role"},
                {"apiVersion": "tf.upbound.io/v1beta1", "kind": "Workspace", "name": "orders-db-x7k2p-tf"},
                {"apiVersion": "kms.aws.upbound.io/v1beta1", "kind": "Key", "name": "orders-db-x7k2p-key"}]}
    }), json!({"conditions": [cond("Synced", "True", "ReconcileSuccess", ""),
        cond("Ready", "False", "Creating", "Unready resources: instance, key")]})).await?;
    let composed = |kind: &str, name: &str, step: &str| {
        json!({
            "metadata": {"name": name, "annotations": {"crossplane.io/composition-resource-name": step},
                "labels": {"crossplane.io/composite": "orders-db-x7k2p", "crossplane.io/claim-name": "orders-db",
                           "crossplane.io/claim-namespace": "team-a"}},
            "kind": kind, "spec": {"forProvider": {"region": "eu-west-1"}}
        })
    };
    let mut rds = composed("Instance", "orders-db-x7k2p-rds", "instance");
    rds["apiVersion"] = json!("rds.aws.upbound.io/v1beta1");
    create_with_status(&api(&client, "rds.aws.upbound.io", "v1beta1", "Instance", "instances", None), rds,
        json!({"conditions": [cond("Synced", "False", "ReconcileError", RDS_ERROR), cond("Ready", "False", "Creating", "")]})).await?;
    let mut role = composed("Role", "orders-db-x7k2p-role", "role");
    role["apiVersion"] = json!("iam.aws.upbound.io/v1beta1");
    create_with_status(
        &api(&client, "iam.aws.upbound.io", "v1beta1", "Role", "roles", None),
        role,
        json!({"conditions": [cond("Synced", "True", "ReconcileSuccess", ""), cond("Ready", "True", "Available", "")]}),
    )
    .await?;
    let mut tf = composed("Workspace", "orders-db-x7k2p-tf", "dns");
    tf["apiVersion"] = json!("tf.upbound.io/v1beta1");
    tf["metadata"]["annotations"]["crossplane.io/paused"] = json!("true");
    create_with_status(&api(&client, "tf.upbound.io", "v1beta1", "Workspace", "workspaces", None), tf,
        json!({"conditions": [cond("Synced", "False", "ReconcilePaused", "Reconciliation is paused via the pause annotation"),
            cond("Ready", "True", "Available", "")], "atProvider": {"outputs": {"zone_id": "Z0123"}}})).await?;
    // The namespaced XR (Crossplane 2): its references carry no namespace.
    let stack_api = api(&client, "storage.example.org", "v1", "XBucketStack", "xbucketstacks", Some("team-b"));
    create_with_status(
        &stack_api,
        json!({
            "apiVersion": "storage.example.org/v1", "kind": "XBucketStack",
            "metadata": {"name": "media", "namespace": "team-b"},
            "spec": {"region": "eu-west-1", "crossplane": {"resourceRefs": [
                {"apiVersion": "s3.aws.m.upbound.io/v1beta1", "kind": "Bucket", "name": "media-bkt"}]}}
        }),
        json!({"conditions": [cond("Synced", "True", "ReconcileSuccess", ""), cond("Ready", "True", "Available", "")]}),
    )
    .await?;
    let buckets = api(&client, "s3.aws.m.upbound.io", "v1beta1", "Bucket", "buckets", Some("team-b"));
    create_with_status(&buckets, json!({
        "apiVersion": "s3.aws.m.upbound.io/v1beta1", "kind": "Bucket",
        "metadata": {"name": "media-bkt", "namespace": "team-b", "finalizers": ["finalizer.managedresource.crossplane.io"],
            "annotations": {"crossplane.io/composition-resource-name": "bucket"}},
        "spec": {"forProvider": {"region": "eu-west-1"}}
    }), json!({"conditions": [cond("Synced", "True", "ReconcileSuccess", ""), cond("Ready", "False", "Deleting", "")]})).await?;
    buckets.delete("media-bkt", &DeleteParams::default()).await?;
    // Watches start from the API server's watch cache (resourceVersion 0, as informers do), which follows
    // etcd a moment behind, most visibly for kinds whose CRD was just created: wait until it serves every
    // object, so that what fleetdeck sees and what `crossplane` reads (GETs, from etcd) are the same.
    let cached = [
        (api(&client, "rds.aws.upbound.io", "v1beta1", "Instance", "instances", None), "orders-db-x7k2p-rds"),
        (api(&client, "iam.aws.upbound.io", "v1beta1", "Role", "roles", None), "orders-db-x7k2p-role"),
        (api(&client, "tf.upbound.io", "v1beta1", "Workspace", "workspaces", None), "orders-db-x7k2p-tf"),
        (buckets, "media-bkt"),
        (stack_api, "media"),
        (xr_api, "orders-db-x7k2p"),
        (claim_api, "orders-db"),
    ];
    for (api, name) in cached {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let listed = api.list(&kube::api::ListParams::default().match_any()).await?;
            let seen = listed.items.iter().find(|o| o.metadata.name.as_deref() == Some(name));
            // The bucket's deletion too (its deletionTimestamp), once it shows.
            if seen.is_some_and(|o| name != "media-bkt" || o.metadata.deletion_timestamp.is_some()) {
                break;
            }
            assert!(Instant::now() < deadline, "the watch cache does not serve {name} within 20 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    Ok((env, client))
}

fn watched(store: &FleetStore) -> Vec<String> {
    let mut kinds: Vec<String> = store
        .context("a")
        .map(|c| c.kinds.keys().filter(|k| k.is_dynamic()).map(|k| k.spec().kind.to_string()).collect())
        .unwrap_or_default();
    kinds.sort();
    kinds
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watches_only_what_composites_reference_and_reads_their_health() -> anyhow::Result<()> {
    let (env, client) = crossplane_server().await?;
    let kc = fleetdeck::fleet::kubeconfig::load(Some(env.kubeconfig_path()))?;
    let (tx, mut rx) = tokio::sync::mpsc::channel(fleetdeck::fleet::CHANNEL_CAPACITY);
    let opts = FleetOptions { lineage: false, rediscover_every: Duration::from_secs(2), ..FleetOptions::default() };
    let fleet = Fleet::start(&kc, &[], opts, tx).await?;
    let mut store = FleetStore::new();
    until(&mut rx, &mut store, "the composites' kinds synced", |s| {
        fleetdeck::model::crossplane::settled(s) && watched(s).len() == 7
    })
    .await;
    // XRs and claims from the XRDs; MR kinds only as referenced: not VPC, Subnet, SecurityGroup, Cluster.
    assert_eq!(
        watched(&store),
        ["Bucket", "Instance", "PostgreSQLInstance", "Role", "Workspace", "XBucketStack", "XPostgreSQLInstance"]
    );
    let ctx = store.context("a").expect("context");
    assert!(ctx.unserved.contains_key(&("kms.aws.upbound.io".to_string(), "Key".to_string())), "{:?}", ctx.unserved);
    let kind = |group: &str, k: &str| KindId::find(group, k).unwrap_or_else(|| panic!("{k} has an id"));
    assert_eq!(kind("database.example.org", "PostgreSQLInstance").dynamic_role(), Some(Dynamic::Claim));
    assert_eq!(kind("storage.example.org", "XBucketStack").dynamic_role(), Some(Dynamic::Composite));
    assert!(kind("storage.example.org", "XBucketStack").spec().namespaced);
    assert!(!kind("database.example.org", "XPostgreSQLInstance").spec().namespaced);
    let health = |group: &str, k: &str, ns: &str, name: &str| {
        let o = store.get("a", kind(group, k), ns, name).unwrap_or_else(|| {
            let kinds: Vec<_> = ctx
                .kinds
                .iter()
                .filter(|(k, _)| k.is_dynamic())
                .map(|(k, e)| (k.to_string(), e.state, e.objects.len()))
                .collect();
            panic!("{k} {name} not stored: {kinds:?}")
        });
        (o.health.state, o.health.reason.clone())
    };
    assert_eq!(
        health("rds.aws.upbound.io", "Instance", "", "orders-db-x7k2p-rds"),
        (HealthState::Failed, "ReconcileError".into())
    );
    assert_eq!(
        health("tf.upbound.io", "Workspace", "", "orders-db-x7k2p-tf"),
        (HealthState::Paused, "ReconcilePaused".into())
    );
    assert_eq!(
        health("iam.aws.upbound.io", "Role", "", "orders-db-x7k2p-role"),
        (HealthState::Ready, "Available".into())
    );
    assert_eq!(
        health("database.example.org", "XPostgreSQLInstance", "", "orders-db-x7k2p"),
        (HealthState::Progressing, "Creating".into())
    );
    assert_eq!(
        health("database.example.org", "PostgreSQLInstance", "team-a", "orders-db"),
        (HealthState::Progressing, "Waiting".into())
    );
    assert_eq!(health("s3.aws.m.upbound.io", "Bucket", "team-b", "media-bkt").0, HealthState::Deleting);
    let xrd = store.get("a", KindId::XRD, "", "xpostgresqlinstances.database.example.org").expect("XRD");
    assert_eq!(xrd.health.state, HealthState::Ready);

    // The trace: claim -> XR -> composed, sorted as trace sorts them; the unserved Key says so.
    let claim = kind("database.example.org", "PostgreSQLInstance");
    let tree = xp_tree::trace_tree(&store, "a", claim, "team-a", "orders-db").expect("trace");
    // In trace order: the unserved Key (kms... sorts before rds...), then the Instance.
    let failing = xp_tree::first_failing(&tree).expect("a failing resource");
    assert!(failing.id.ends_with("/Key//orders-db-x7k2p-key"), "{}", failing.id);
    let rds = xp_tree::walk(&tree).into_iter().find(|n| n.id.ends_with("/Instance//orders-db-x7k2p-rds")).expect("rds");
    assert!(
        rds.trace.as_ref().is_some_and(|t| t.synced == "False" && t.status.contains("InvalidParameterCombination"))
    );
    let text = trace_text::render_trace(&tree, false);
    // Trace cuts messages over 64 bytes to their end.
    assert!(
        text.contains(
            "-        -       Error: ...o matches for kind \"Key\" in version \"kms.aws.upbound.io/v1beta1\""
        ),
        "{text}"
    );

    // A reference removed: the Workspace kind is no longer watched, and the store drops it.
    let xr_api = api(&client, "database.example.org", "v1alpha1", "XPostgreSQLInstance", "xpostgresqlinstances", None);
    let patch = json!({"spec": {"resourceRefs": [
        {"apiVersion": "rds.aws.upbound.io/v1beta1", "kind": "Instance", "name": "orders-db-x7k2p-rds"},
        {"apiVersion": "iam.aws.upbound.io/v1beta1", "kind": "Role", "name": "orders-db-x7k2p-role"}]}});
    xr_api.patch("orders-db-x7k2p", &PatchParams::default(), &Patch::Merge(&patch)).await?;
    until(&mut rx, &mut store, "the Workspace kind dropped", |s| !watched(s).contains(&"Workspace".to_string())).await;
    until(&mut rx, &mut store, "the Key no longer unserved", |s| s.context("a").is_some_and(|c| c.unserved.is_empty()))
        .await;
    drop(fleet);

    // An operator asks for MR kinds nothing references (`--watch-kind`): by plural or by kind, with its group.
    let (tx, mut rx) = tokio::sync::mpsc::channel(fleetdeck::fleet::CHANNEL_CAPACITY);
    let asked = ["vpcs.ec2.aws.upbound.io", "SecurityGroup.ec2.aws.upbound.io", "widgets.nope.example.org"];
    let opts = FleetOptions {
        lineage: false,
        watch_kinds: asked.iter().map(|k| k.to_string()).collect(),
        ..FleetOptions::default()
    };
    let fleet = Fleet::start(&kc, &["a".to_string()], opts, tx).await?;
    let mut store = FleetStore::new();
    until(&mut rx, &mut store, "the asked kinds watched", |s| {
        let w = watched(s);
        w.contains(&"VPC".to_string())
            && w.contains(&"SecurityGroup".to_string())
            && s.context("a").is_some_and(|c| !c.unserved.is_empty())
    })
    .await;
    let ctx = store.context("a").expect("context");
    assert!(ctx.unserved.contains_key(&("nope.example.org".to_string(), "widgets".to_string())), "{:?}", ctx.unserved);
    assert!(!watched(&store).contains(&"Subnet".to_string()), "not asked, not referenced: not watched");
    drop(fleet);
    Ok(())
}

/// fleetdeck's trace text beside `crossplane resource trace`'s, each with the same arguments, line for line.
fn same_as_trace(crossplane: &Path, home: &Path, kubeconfig: &Path, theirs: &[&str], ours: &[&str]) {
    let (code, upstream, err) = run(crossplane, theirs, kubeconfig, home);
    assert_eq!(code, 0, "crossplane {theirs:?}: {err}");
    let (code, fleetdeck, err) = run(Path::new(env!("CARGO_BIN_EXE_fleetdeck")), ours, kubeconfig, home);
    assert_eq!(code, 0, "fleetdeck {ours:?}: {err}");
    assert!(upstream.lines().count() > 1, "{upstream}");
    assert_eq!(
        fleetdeck, upstream,
        "fleetdeck {ours:?} differs from crossplane {theirs:?}\n--- crossplane\n{upstream}--- fleetdeck\n{fleetdeck}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_matches_crossplane_resource_trace() -> anyhow::Result<()> {
    let crossplane = oracles::ensure(&oracles::CROSSPLANE, &mut |l| eprintln!("crossplane: {l}"))?;
    let (env, _client) = crossplane_server().await?;
    let home = tempfile::tempdir()?;
    let kc = env.kubeconfig_path().to_path_buf();
    let (h, k) = (home.path(), kc.as_path());
    same_as_trace(
        &crossplane,
        h,
        k,
        &["resource", "trace", "postgresqlinstances.database.example.org/orders-db", "-n", "team-a"],
        &["tree", "claim", "postgresqlinstances.database.example.org/team-a/orders-db"],
    );
    same_as_trace(
        &crossplane,
        h,
        k,
        &["resource", "trace", "postgresqlinstance", "orders-db", "-n", "team-a", "-o", "wide"],
        &["tree", "claim", "PostgreSQLInstance/team-a/orders-db", "-o", "wide"],
    );
    same_as_trace(
        &crossplane,
        h,
        k,
        &["resource", "trace", "xpostgresqlinstance/orders-db-x7k2p"],
        &["tree", "composite", "xpostgresqlinstance/orders-db-x7k2p"],
    );
    same_as_trace(
        &crossplane,
        h,
        k,
        &["resource", "trace", "xbucketstacks.storage.example.org/media", "-n", "team-b"],
        &["tree", "composite", "xbucketstacks/team-b/media"],
    );
    // JSON: the same tree, each node with trace's columns.
    let (code, out, err) = run(
        Path::new(env!("CARGO_BIN_EXE_fleetdeck")),
        &["tree", "claim", "postgresqlinstance/team-a/orders-db", "-o", "json"],
        k,
        h,
    );
    assert_eq!(code, 0, "{err}");
    let tree: Value = serde_json::from_str(&out)?;
    assert_eq!(tree["trace"]["ready"], "False");
    assert_eq!(tree["children"][0]["label"]["kind"], "XPostgreSQLInstance");
    let kinds: Vec<&str> = tree["children"][0]["children"]
        .as_array()
        .expect("children")
        .iter()
        .map(|c| c["label"]["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds, ["Role", "Key", "Instance", "Workspace"]);
    // Bad input: a type no XRD defines, and an object that is not there.
    let (code, _, err) =
        run(Path::new(env!("CARGO_BIN_EXE_fleetdeck")), &["tree", "claim", "nosuchclaim/team-a/x"], k, h);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("its XRDs define: PostgreSQLInstance"), "{err}");
    let (code, _, err) =
        run(Path::new(env!("CARGO_BIN_EXE_fleetdeck")), &["tree", "composite", "xbucketstack/team-b/nope"], k, h);
    assert_ne!(code, 0);
    assert!(err.contains("XBucketStack team-b/nope not found in context"), "{err}");
    Ok(())
}

/// A spawned command, killed if the test ends before it is waited for.
struct Running(Option<std::process::Child>);

impl Running {
    fn output(mut self) -> std::io::Result<std::process::Output> {
        self.0.take().expect("not yet waited for").wait_with_output()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// `fleetdeck pause|unpause crossplane TYPE/[NS/]NAME`: the annotation set and removed, followed until
/// Crossplane reports it (the test plays the provider: it writes `Synced` as crossplane-runtime's managed
/// reconciler does when it sees the annotation), refused in read-only mode, and journalled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_and_resume_through_the_annotation() -> anyhow::Result<()> {
    let (env, client) = crossplane_server().await?;
    let home = tempfile::tempdir()?;
    let kc = env.kubeconfig_path().to_path_buf();
    let rds = api(&client, "rds.aws.upbound.io", "v1beta1", "Instance", "instances", None);
    let paused =
        |o: &DynamicObject| o.metadata.annotations.as_ref().and_then(|a| a.get("crossplane.io/paused")).cloned();
    let fd = |args: &[&str]| {
        Running(Some(
            std::process::Command::new(env!("CARGO_BIN_EXE_fleetdeck"))
                .args(args)
                .env("KUBECONFIG", &kc)
                .env("FLEETDECK_HOME", home.path())
                .env("NO_COLOR", "1")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("fleetdeck runs"),
        ))
    };
    // Read-only: refused before anything is sent.
    let out = fd(&["--readonly", "pause", "crossplane", "instance/orders-db-x7k2p-rds"]).output()?;
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(paused(&rds.get("orders-db-x7k2p-rds").await?), None);

    // Pause: the annotation, then Synced=False (ReconcilePaused) from "the provider".
    let child = fd(&["pause", "crossplane", "instances.rds.aws.upbound.io/orders-db-x7k2p-rds", "--timeout", "20"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while paused(&rds.get("orders-db-x7k2p-rds").await?).as_deref() != Some("true") {
        assert!(Instant::now() < deadline, "no pause annotation within 20 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = json!({"status": {"conditions": [
        cond("Synced", "False", "ReconcilePaused", "Reconciliation is paused via the pause annotation"),
        cond("Ready", "False", "Creating", "")]}});
    rds.patch_status("orders-db-x7k2p-rds", &PatchParams::default(), &Patch::Merge(&status)).await?;
    let out = child.output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("paused; Synced=False (ReconcilePaused)"), "{stdout}");

    // Resume: the annotation goes, and the provider reconciles again.
    let child = fd(&["unpause", "crossplane", "instance/orders-db-x7k2p-rds", "--timeout", "20", "-o", "json"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while paused(&rds.get("orders-db-x7k2p-rds").await?).is_some() {
        assert!(Instant::now() < deadline, "the pause annotation not removed within 20 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = json!({"status": {"conditions": [cond("Synced", "False", "ReconcileError", RDS_ERROR)]}});
    rds.patch_status("orders-db-x7k2p-rds", &PatchParams::default(), &Patch::Merge(&status)).await?;
    let out = child.output()?;
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let outcome: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!((outcome["verb"].as_str(), outcome["result"].as_str()), (Some("unpause"), Some("ok")));
    assert_eq!(outcome["target"]["kind"], "Instance");

    // A kind that is not Crossplane's is refused by name.
    let out = fd(&["pause", "crossplane", "deployments.apps/team-a/web"]).output()?;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("Deployment (apps/v1) is not a Crossplane claim, composite or managed resource"), "{err}");

    // The journal has the three attempts: refused, ok, ok.
    let journal = std::fs::read_to_string(home.path().join("state").join("journal.jsonl"))?;
    let results: Vec<(String, String)> = journal
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| (v["verb"].as_str().unwrap_or("").to_string(), v["result"].as_str().unwrap_or("").to_string()))
        .collect();
    let expect =
        [("pause", "refused"), ("pause", "ok"), ("unpause", "ok")].map(|(a, b)| (a.to_string(), b.to_string()));
    assert_eq!(results, expect);
    Ok(())
}

/// `fleetdeck claim create`: the form from the XRD read in the cluster; values checked as typed (nothing
/// written on a bad one, the field named); policy; the commit on its own branch pushed to the remote; and the
/// committed manifest accepted by the API server's dry-run against the CRD Crossplane generates from the XRD.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_claim_wizard_commits_what_the_api_server_accepts() -> anyhow::Result<()> {
    let (env, client) = crossplane_server().await?;
    let home = tempfile::tempdir()?;
    let kc = env.kubeconfig_path().to_path_buf();
    let dir = tempfile::tempdir()?;
    let (remote, work) = (dir.path().join("remote.git"), dir.path().join("work"));
    common::git(dir.path(), &["init", "-q", "--bare", remote.to_str().expect("utf-8")]);
    common::git(dir.path(), &["clone", "-q", remote.to_str().expect("utf-8"), work.to_str().expect("utf-8")]);
    common::git(&work, &["config", "user.email", "test@example.invalid"]);
    common::git(&work, &["config", "user.name", "test"]);
    common::git(&work, &["checkout", "-q", "-b", "main"]);
    std::fs::create_dir_all(work.join(".fleetdeck"))?;
    std::fs::write(work.join(".fleetdeck/policy.yaml"), "regions: [eu-west-1, eu-central-1]\n")?;
    common::git(&work, &["add", "-A"]);
    common::git(&work, &["commit", "-qm", "init"]);
    common::git(&work, &["push", "-q", "origin", "main"]);
    let fd = |args: &[&str]| run(Path::new(env!("CARGO_BIN_EXE_fleetdeck")), args, &kc, home.path());
    let repo = work.to_str().expect("utf-8");
    let xrd = "xpostgresqlinstances.database.example.org";

    // The form.
    let (code, out, err) = fd(&["--context", "a", "claim", "create", "--xrd", xrd, "--show-form"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("database.example.org/v1alpha1 PostgreSQLInstance (claim, namespaced)"), "{out}");
    assert!(
        out.lines().any(|l| l.contains("spec.parameters.storageGB") && l.contains("integer") && l.contains("yes")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.contains("spec.parameters.engineVersion") && l.contains("one of 15|16") && l.contains("16")),
        "{out}"
    );

    // Bad values: each field named, nothing written.
    let (code, _, err) = fd(&[
        "--context",
        "a",
        "claim",
        "create",
        "--xrd",
        xrd,
        "--name",
        "orders-db2",
        "-n",
        "team-a",
        "--set",
        "parameters.storageGB=lots",
        "--set",
        "parameters.engineVersion=14",
        "--repo",
        repo,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("parameters.storageGB: \"lots\" is not an integer"), "{err}");
    assert!(err.contains("parameters.engineVersion: \"14\" must be one of 15, 16"), "{err}");
    // Policy: a region outside the allowed ones.
    let (code, _, err) = fd(&[
        "--context",
        "a",
        "claim",
        "create",
        "--xrd",
        xrd,
        "--name",
        "orders-db2",
        "-n",
        "team-a",
        "--set",
        "parameters.storageGB=30",
        "--set",
        "parameters.region=us-east-1",
        "--repo",
        repo,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("policy blocks the write") && err.contains("us-east-1"), "{err}");
    assert!(common::git(&remote, &["branch", "--list"]).lines().all(|b| !b.contains("claim")), "nothing pushed");

    // The commit, pushed.
    let (code, out, err) = fd(&[
        "--context",
        "a",
        "claim",
        "create",
        "--xrd",
        xrd,
        "--name",
        "orders-db2",
        "-n",
        "team-a",
        "--set",
        "parameters.storageGB=30",
        "--set",
        "parameters.engineVersion=15",
        "--set",
        "parameters.region=eu-west-1",
        "--composition",
        "xpostgresqlinstances.aws.database.example.org",
        "--repo",
        repo,
        "--push",
        "-o",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let outcome: Value = serde_json::from_str(&out)?;
    assert_eq!(
        (outcome["operation"].as_str(), outcome["branch"].as_str(), outcome["pushed"].as_bool()),
        (Some("claim"), Some("fleetdeck/claim-team-a-orders-db2"), Some(true))
    );
    let text =
        common::git(&remote, &["show", "fleetdeck/claim-team-a-orders-db2:crossplane/claims/team-a/orders-db2.yaml"]);
    assert_eq!(
        common::git(&remote, &["log", "-1", "--format=%s", "fleetdeck/claim-team-a-orders-db2"]),
        "Add PostgreSQLInstance team-a/orders-db2"
    );
    let manifest: Value = serde_saphyr::from_str(&text)?;
    assert_eq!(manifest["spec"]["parameters"]["storageGB"], 30);
    assert_eq!(manifest["spec"]["compositionRef"]["name"], "xpostgresqlinstances.aws.database.example.org");

    // The API server accepts it against the CRD Crossplane generates (server-side dry-run), and would refuse
    // what the form refuses (the CRD's schema says the same).
    let claims =
        api(&client, "database.example.org", "v1alpha1", "PostgreSQLInstance", "postgresqlinstances", Some("team-a"));
    let obj: DynamicObject = serde_json::from_value(manifest.clone())?;
    claims.create(&PostParams { dry_run: true, ..Default::default() }, &obj).await?;
    let mut bad = manifest.clone();
    bad["spec"]["parameters"]["engineVersion"] = json!("14");
    let bad: DynamicObject = serde_json::from_value(bad)?;
    let refused = claims.create(&PostParams { dry_run: true, ..Default::default() }, &bad).await.expect_err("refused");
    assert!(refused.to_string().contains("engineVersion"), "{refused}");

    // The namespaced XR of a Crossplane 2 XRD, from a file.
    let file = dir.path().join("xrd.yaml");
    std::fs::write(&file, NAMESPACED_XRD)?;
    let (code, out, err) = fd(&[
        "claim",
        "create",
        "--xrd-file",
        file.to_str().expect("utf-8"),
        "--name",
        "photos",
        "-n",
        "team-b",
        "--set",
        "region=eu-central-1",
        "--repo",
        repo,
        "--dry-run",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("+kind: XBucketStack") && out.contains("crossplane/claims/team-b/photos.yaml"), "{out}");
    Ok(())
}
