//! Flux in every cluster of the demo fleet, laid out the way `flux bootstrap` and a fleet repository
//! (`acme/fleet-infra`) lay it out: GitRepository + Kustomization `flux-system/flux-system` on
//! `./clusters/<cluster>`, which applies Kustomizations `infrastructure` and `apps` (`apps` depends on
//! `infrastructure`), which apply HelmRepositories and HelmReleases whose objects are seeded too. Every
//! inventory entry is computed from a seeded object, so `flux tree` finds them all.
//!
//! States: `prod-us`'s `infrastructure` fails to build (BuildFailed) and its `apps` waits for it
//! (DependencyNotReady); inside `prod-us`'s `apps`, the podinfo Deployment's rollout is stuck (1 of 3
//! replicas available, ProgressDeadlineExceeded) and ConfigMap `podinfo/podinfo-env` was deleted out of band
//! (listed in the inventory, not in the cluster: drift, [`DELETED_OUT_OF_BAND`]); `dev-eu`'s HelmRelease
//! `podinfo/podinfo` is suspended; the management cluster also
//! runs a remote Kustomization `platform/dev-eu-addons` that applies into `dev-eu` through
//! `dev-eu-kubeconfig`.

use serde_json::{Value, json};

use super::core::{config_map, deployment, service};
use super::flux::{self, KsState, Release, applied_by, git_repository, helm_chart, helm_release, helm_repository};
use super::helm_storage;
use super::meta::{Clock, DAY, HOUR, MIN, annotations, inventory_entry, labels, namespace, object};

/// The fleet repository every cluster's `flux-system` GitRepository follows.
pub(super) const FLEET_REPO: &str = "ssh://git@github.example/acme/fleet-infra";
/// Commit number (see [`super::revision`]) `main` of the fleet repository is at.
pub(super) const FLEET_COMMIT: u64 = 47;

/// What kustomize says when a Kustomization's `resources` names a directory that is not there.
const BUILD_FAILED: &str = "kustomize build failed: accumulating resources: accumulation err='accumulating resources from './cert-manager': '/tmp/kustomization-2713085561/infrastructure/prod-us/cert-manager' must resolve to a file': couldn't make target for path '/tmp/kustomization-2713085561/infrastructure/prod-us/cert-manager': unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory '/tmp/kustomization-2713085561/infrastructure/prod-us/cert-manager'";

/// Inventory entries whose object the demo deletes out of band (context, inventory id): drift that a tree
/// shows as `not found` once it reads the entries.
#[cfg_attr(not(test), allow(dead_code))] // read by the seed's checks
pub(crate) const DELETED_OUT_OF_BAND: &[(&str, &str)] = &[("prod-us", "podinfo_podinfo-env__ConfigMap")];

/// Objects edited by hand after Flux applied them (drift: a changed field): `(context, inventory id, merge
/// patch)`. prod-us' podinfo HelmRelease was scaled to 3 replicas with `kubectl edit` (git says 2), which is
/// what started the stalled rollout.
pub(crate) const EDITED_OUT_OF_BAND: &[(&str, &str, &str)] =
    &[("prod-us", "podinfo_podinfo_helm.toolkit.fluxcd.io_HelmRelease", r#"{"spec":{"values":{"replicaCount":3}}}"#)];

/// The changes of [`DELETED_OUT_OF_BAND`] and [`EDITED_OUT_OF_BAND`], for objects of `contexts`.
pub(super) fn out_of_band(
    contexts: &std::collections::BTreeMap<String, Vec<Value>>,
) -> Vec<(String, super::OutOfBand)> {
    let find = |context: &str, id: &str| {
        contexts.get(context)?.iter().find(|o| inventory_entry(o)["id"] == id).map(super::object_ref)
    };
    let deletes = DELETED_OUT_OF_BAND
        .iter()
        .filter_map(|(c, id)| Some(((*c).to_owned(), super::OutOfBand::Delete(find(c, id)?))));
    let edits = EDITED_OUT_OF_BAND.iter().filter_map(|(c, id, patch)| {
        let patch = serde_json::from_str(patch).ok()?;
        Some(((*c).to_owned(), super::OutOfBand::Edit(find(c, id)?, patch)))
    });
    deletes.chain(edits).collect()
}

/// Labels and annotations Helm puts on a release's objects, plus helm-controller's own.
fn helm_managed(obj: &mut Value, r: &Release, app_version: &str) {
    let (chart_version, _) = r.versions.last().map_or(("", ""), |(c, a)| (c.as_str(), a.as_str()));
    labels(
        obj,
        &[
            ("app.kubernetes.io/instance", &r.name),
            ("app.kubernetes.io/managed-by", "Helm"),
            ("app.kubernetes.io/version", app_version),
            ("helm.sh/chart", &format!("{}-{chart_version}", r.chart)),
            ("helm.toolkit.fluxcd.io/name", &r.name),
            ("helm.toolkit.fluxcd.io/namespace", &r.namespace),
        ],
    );
    annotations(obj, &[("meta.helm.sh/release-name", &r.name), ("meta.helm.sh/release-namespace", &r.namespace)]);
}

fn versions(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(c, a)| ((*c).to_owned(), (*a).to_owned())).collect()
}

/// HelmRelease `ingress-nginx/ingress-nginx` and the objects it installed.
fn ingress_nginx(clock: &Clock, deployed_ago: i64) -> (Release, Vec<Value>) {
    let mut r = Release {
        namespace: "ingress-nginx".to_owned(),
        name: "ingress-nginx".to_owned(),
        chart: "ingress-nginx".to_owned(),
        versions: versions(&[("4.11.3", "1.11.3"), ("4.12.1", "1.12.1")]),
        repo: ("flux-system".to_owned(), "ingress-nginx".to_owned()),
        suspend: false,
        inventory: Vec::new(),
        deployed_ago,
        values: json!({ "controller": { "replicaCount": 2, "metrics": { "enabled": true } } }),
        failed: None,
    };
    let name = "ingress-nginx-controller";
    let mut objects = vec![
        config_map("ingress-nginx", name, &[("allow-snippet-annotations", "false"), ("use-forwarded-headers", "true")]),
        service("ingress-nginx", name, name, &[("http", 80), ("https", 443)]),
        deployment(
            clock,
            "ingress-nginx",
            name,
            "registry.k8s.io/ingress-nginx/controller:v1.12.1",
            &[("http", 80), ("https", 443)],
            2,
            deployed_ago,
        ),
    ];
    for o in &mut objects {
        helm_managed(o, &r, "1.12.1");
    }
    r.inventory = objects.iter().map(inventory_entry).collect();
    (r, objects)
}

/// HelmRelease `podinfo/podinfo` and the objects it installed.
fn podinfo(clock: &Clock, cluster: &str, suspend: bool) -> (Release, Vec<Value>) {
    let mut r = Release {
        namespace: "podinfo".to_owned(),
        name: "podinfo".to_owned(),
        chart: "podinfo".to_owned(),
        versions: versions(&[("6.7.0", "6.7.0"), ("6.7.1", "6.7.1"), ("6.8.0", "6.8.0")]),
        repo: ("flux-system".to_owned(), "podinfo".to_owned()),
        suspend,
        inventory: Vec::new(),
        deployed_ago: 2 * DAY + 5 * HOUR,
        values: json!({ "replicaCount": 2, "ui": { "message": format!("Hello from {cluster}") } }),
        // prod-us: the upgrade to 6.7.1 failed; 6.8.0 went out after it.
        failed: (!suspend).then_some(1),
    };
    let mut deploy = deployment(
        clock,
        "podinfo",
        "podinfo",
        "ghcr.io/stefanprodan/podinfo:6.8.0",
        &[("http", 9898), ("grpc", 9999)],
        2,
        2 * DAY,
    );
    if !suspend {
        // prod-us: scaled to 3 by hand (`EDITED_OUT_OF_BAND`: git says 2) and the new pods never became
        // available.
        stalled_rollout(clock, &mut deploy, 3, 1, 25 * MIN);
    }
    let mut objects = vec![service("podinfo", "podinfo", "podinfo", &[("http", 9898), ("grpc", 9999)]), deploy];
    for o in &mut objects {
        helm_managed(o, &r, "6.8.0");
    }
    r.inventory = objects.iter().map(inventory_entry).collect();
    (r, objects)
}

/// Makes `deploy` a rollout that stalled `since` seconds ago: `replicas` wanted, `available` of them available,
/// Progressing=False with ProgressDeadlineExceeded, as the Deployment controller writes it.
fn stalled_rollout(clock: &Clock, deploy: &mut Value, replicas: u32, available: u32, since: i64) {
    let name = deploy["metadata"]["name"].as_str().unwrap_or_default().to_owned();
    let ns = deploy["metadata"]["namespace"].as_str().unwrap_or_default().to_owned();
    let replica_set = format!("{name}-{}", super::ids::hex(&format!("{ns}/{name}/rs2"), 10));
    deploy["spec"]["replicas"] = json!(replicas);
    deploy["spec"]["progressDeadlineSeconds"] = json!(600);
    deploy["status"] = json!({
        "observedGeneration": 1,
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": available,
        "availableReplicas": available,
        "unavailableReplicas": replicas - available,
        "conditions": [
            {
                "type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
                "message": "Deployment does not have minimum availability.",
                "lastUpdateTime": clock.ago(since + 600), "lastTransitionTime": clock.ago(since + 600),
            },
            {
                "type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                "message": format!("ReplicaSet \"{replica_set}\" has timed out progressing."),
                "lastUpdateTime": clock.ago(since), "lastTransitionTime": clock.ago(since),
            },
        ],
    });
}

/// A HelmRelease with its HelmChart, Helm's storage Secret of the deployed revision and the installed
/// objects, labelled as applied by Kustomization `ks`.
fn release_objects(clock: &Clock, r: &Release, repo: &Value, installed: Vec<Value>, ks: &str) -> (Value, Vec<Value>) {
    let mut hr = helm_release(clock, r);
    applied_by(&mut hr, ks, "flux-system");
    let mut objects = vec![helm_chart(clock, r, repo), helm_storage::release_secret(clock, r, &installed)];
    objects.extend(installed);
    (hr, objects)
}

/// The `flux-system` namespace, ConfigMap `cluster-config` and GitRepository of a cluster.
fn bootstrap(clock: &Clock, cluster: &str, environment: &str) -> (Vec<Value>, Value) {
    let mut ns = namespace("flux-system");
    labels(&mut ns, &[("app.kubernetes.io/instance", "flux-system"), ("app.kubernetes.io/part-of", "flux")]);
    let config =
        config_map("flux-system", "cluster-config", &[("cluster_name", cluster), ("environment", environment)]);
    let mut repo = git_repository(clock, "flux-system", "flux-system", FLEET_REPO, FLEET_COMMIT, 3 * MIN);
    let mut objects = vec![ns, config];
    for o in &mut objects {
        applied_by(o, "flux-system", "flux-system");
    }
    applied_by(&mut repo, "flux-system", "flux-system");
    (objects, repo)
}

/// The `flux-system` Kustomization, whose inventory is `applied` with itself inserted at `position`.
fn root(clock: &Clock, cluster: &str, mut applied: Vec<Value>, position: usize) -> Value {
    let me = object(flux::KUSTOMIZE, "Kustomization", Some("flux-system"), "flux-system");
    applied.insert(position.min(applied.len()), inventory_entry(&me));
    let mut k = flux::Ks::new("flux-system", &format!("./clusters/{cluster}"), FLEET_COMMIT);
    k.inventory = applied;
    let mut ks = flux::kustomization(clock, &k);
    applied_by(&mut ks, "flux-system", "flux-system");
    ks
}

/// Flux and what it applied in workload cluster `cluster` (`dev-eu` or `prod-us`), in creation order.
pub(super) fn workload(clock: &Clock, cluster: &str) -> Vec<Value> {
    let prod = cluster == "prod-us";
    let (mut objects, git) = bootstrap(clock, cluster, if prod { "production" } else { "development" });

    let mut ns_ingress = namespace("ingress-nginx");
    let mut repo_ingress =
        helm_repository(clock, "flux-system", "ingress-nginx", "https://kubernetes.github.io/ingress-nginx");
    let (release, installed) = ingress_nginx(clock, 9 * DAY);
    let (hr_ingress, ingress_objects) = release_objects(clock, &release, &repo_ingress, installed, "infrastructure");
    applied_by(&mut ns_ingress, "infrastructure", "flux-system");
    applied_by(&mut repo_ingress, "infrastructure", "flux-system");
    let mut infra = flux::Ks::new("infrastructure", &format!("./infrastructure/{cluster}"), FLEET_COMMIT);
    infra.inventory = [&ns_ingress, &repo_ingress, &hr_ingress].map(inventory_entry).to_vec();
    if prod {
        infra.state = KsState::BuildFailed(BUILD_FAILED.to_owned());
    }

    let mut ns_podinfo = namespace("podinfo");
    let mut repo_podinfo = helm_repository(clock, "flux-system", "podinfo", "https://stefanprodan.github.io/podinfo");
    let mut env =
        config_map("podinfo", "podinfo-env", &[("PODINFO_UI_COLOR", if prod { "#34577c" } else { "#2f9e44" })]);
    let (release, installed) = podinfo(clock, cluster, !prod);
    let (hr_podinfo, podinfo_objects) = release_objects(clock, &release, &repo_podinfo, installed, "apps");
    for o in [&mut ns_podinfo, &mut repo_podinfo, &mut env] {
        applied_by(o, "apps", "flux-system");
    }
    let mut apps = flux::Ks::new("apps", &format!("./apps/{cluster}"), FLEET_COMMIT);
    apps.depends_on = vec!["infrastructure".to_owned()];
    apps.inventory = [&ns_podinfo, &repo_podinfo, &env, &hr_podinfo].map(inventory_entry).to_vec();
    if prod {
        apps.state = KsState::DependencyNotReady("flux-system/infrastructure".to_owned());
    }

    let mut ks_infra = flux::kustomization(clock, &infra);
    let mut ks_apps = flux::kustomization(clock, &apps);
    applied_by(&mut ks_infra, "flux-system", "flux-system");
    applied_by(&mut ks_apps, "flux-system", "flux-system");
    let mut applied: Vec<Value> = objects.iter().map(inventory_entry).collect();
    applied.push(inventory_entry(&git));
    let position = applied.len();
    applied.extend([&ks_infra, &ks_apps].map(inventory_entry));
    let ks_root = root(clock, cluster, applied, position);

    if prod {
        // kustomize-controller's recorder: one Warning per failed attempt, aggregated by the API server.
        let failing = super::core::warning_event(
            clock,
            &ks_infra,
            "BuildFailed",
            BUILD_FAILED,
            14,
            (41 * MIN, MIN),
            "kustomize-controller",
        );
        objects.push(failing);
    }
    objects.extend([ns_ingress, ns_podinfo, git, ks_root, ks_infra, ks_apps]);
    objects.extend([repo_ingress, hr_ingress]);
    objects.extend(ingress_objects);
    objects.extend([repo_podinfo, hr_podinfo]);
    // prod-us: someone deletes the ConfigMap by hand afterwards; `apps` still lists it (drift; see
    // `out_of_band`).
    objects.push(env);
    objects.extend(podinfo_objects);
    objects
}

/// What the management cluster's remote Kustomization `platform/dev-eu-addons` applied in `dev-eu`: a
/// namespace, a dashboards ConfigMap and a Flux HelmRepository (a kind fleetdeck watches, so a tree that
/// follows the remote Kustomization shows it from `dev-eu`'s store).
pub(super) fn dev_eu_addons(clock: &Clock) -> Vec<Value> {
    let mut ns = namespace("monitoring");
    let mut grafana = helm_repository(clock, "monitoring", "grafana", "https://grafana.github.io/helm-charts");
    let mut dashboards = config_map(
        "monitoring",
        "grafana-dashboards",
        &[("fleet-overview.json", "{\"title\":\"Fleet overview\",\"panels\":[]}")],
    );
    labels(&mut dashboards, &[("grafana_dashboard", "1")]);
    for o in [&mut ns, &mut dashboards, &mut grafana] {
        applied_by(o, "dev-eu-addons", "platform");
    }
    vec![ns, dashboards, grafana]
}

/// Labels the objects `pick` selects as applied by Kustomization `flux-system/<ks>` and returns their
/// inventory entries, in order.
pub(super) fn adopt(objects: &mut [Value], ks: &str, pick: impl Fn(&Value) -> bool) -> Vec<Value> {
    objects
        .iter_mut()
        .filter(|o| pick(o))
        .map(|o| {
            applied_by(o, ks, "flux-system");
            inventory_entry(o)
        })
        .collect()
}

/// Inventories of the management cluster's Kustomizations over objects seeded elsewhere.
pub(super) struct MgmtInventories<'a> {
    /// `clusters`: Clusters, ClusterClass, GitopsClusters, templates (see [`adopt`]).
    pub clusters: Vec<Value>,
    /// `terraform`: the Terraform source and Terraform objects.
    pub terraform: Vec<Value>,
    /// What `platform/dev-eu-addons` applied in `dev-eu`.
    pub addons: &'a [Value],
}

/// Flux in the management cluster, in creation order: namespaces, sources, Kustomizations (one of them
/// remote), the profiles HelmRepository and HelmRelease `ingress-nginx`.
pub(super) fn management(clock: &Clock, inv: MgmtInventories<'_>) -> Vec<Value> {
    let (mut objects, git) = bootstrap(clock, "mgmt", "management");
    for name in ["platform", "team-data"] {
        let mut ns = namespace(name);
        applied_by(&mut ns, "flux-system", "flux-system");
        objects.push(ns);
    }

    let mut ns_ingress = namespace("ingress-nginx");
    let mut repo_ingress =
        helm_repository(clock, "flux-system", "ingress-nginx", "https://kubernetes.github.io/ingress-nginx");
    let mut profiles = helm_repository(
        clock,
        "flux-system",
        "weaveworks-charts",
        "https://weaveworks.github.io/weave-gitops-profile-examples/",
    );
    annotations(&mut profiles, &[("weave.works/profiles", "true")]);
    let (release, installed) = ingress_nginx(clock, 21 * DAY);
    let (hr_ingress, ingress_objects) = release_objects(clock, &release, &repo_ingress, installed, "infrastructure");
    for o in [&mut ns_ingress, &mut repo_ingress, &mut profiles] {
        applied_by(o, "infrastructure", "flux-system");
    }
    let mut infra = flux::Ks::new("infrastructure", "./infrastructure/mgmt", FLEET_COMMIT);
    infra.inventory = [&ns_ingress, &repo_ingress, &profiles, &hr_ingress].map(inventory_entry).to_vec();

    let mut clusters = flux::Ks::new("clusters", "./clusters/management/clusters", FLEET_COMMIT);
    clusters.depends_on = vec!["infrastructure".to_owned()];
    clusters.inventory = inv.clusters;
    let mut terraform = flux::Ks::new("terraform", "./terraform", FLEET_COMMIT);
    terraform.depends_on = vec!["infrastructure".to_owned()];
    terraform.inventory = inv.terraform;
    let mut addons = flux::Ks::new("dev-eu-addons", "./addons/dev-eu", FLEET_COMMIT);
    addons.namespace = "platform".to_owned();
    addons.kube_config = Some("dev-eu-kubeconfig".to_owned());
    addons.inventory = inv.addons.iter().map(inventory_entry).collect();

    let mut kustomizations: Vec<Value> =
        [infra, clusters, terraform, addons].iter().map(|k| flux::kustomization(clock, k)).collect();
    for ks in &mut kustomizations {
        applied_by(ks, "flux-system", "flux-system");
    }
    let mut applied: Vec<Value> = objects.iter().map(inventory_entry).collect();
    applied.push(inventory_entry(&git));
    let position = applied.len();
    applied.extend(kustomizations.iter().map(inventory_entry));
    let ks_root = root(clock, "mgmt", applied, position);

    objects.push(ns_ingress);
    objects.push(git);
    objects.push(ks_root);
    objects.extend(kustomizations);
    objects.extend([repo_ingress, profiles, hr_ingress]);
    objects.extend(ingress_objects);
    objects
}
