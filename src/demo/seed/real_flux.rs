//! The seed of `demo --flux real`: every cluster's Flux (`mgmt`, `dev-eu`, `prod-us`) is the real one, so the
//! seed keeps only what `flux bootstrap` creates by hand in each (GitRepository and Kustomization
//! `flux-system/flux-system`, without status: what the bootstrap wizard's `gotk-sync.yaml` holds) and lets the
//! real controllers make everything else from the fleet repository, as in production.
//! Pure: no IO.
//!
//! Two steps, around the writing of the repository (which is made from the seed):
//! 1. [`point_at_loopback`], before: every GitRepository fetches the loopback git server's
//!    repository (no `secretRef`: loopback HTTP needs no deploy key), every HelmRepository of the fleet reads
//!    the loopback chart repository, and nothing the Flux applies waits on health that cannot come here
//!    (no kubelet, no controller-manager): Kustomizations `wait: false` and no `healthChecks`, HelmReleases
//!    `disableWait` on install and upgrade. So the repository holds what the real controllers can reconcile.
//! 2. [`keep_bootstrap_only`], after: the other Flux objects, and the Helm storage Secrets of their
//!    releases, leave the seed (the real controllers create them from git); the bootstrap pairs lose their
//!    status (the real controllers write it).
//!
//! The edge contexts of `--contexts N` are not touched (no Flux runs there).
use serde_json::{Value, json};

use super::Seed;

/// The contexts whose Flux is real: each runs its own source-, kustomize- and helm-controller.
pub const REAL_CONTEXTS: [&str; 3] = ["mgmt", "dev-eu", "prod-us"];

fn is_flux(o: &Value) -> bool {
    o["apiVersion"].as_str().is_some_and(|a| a.contains(".toolkit.fluxcd.io/"))
}

fn is_bootstrap(o: &Value) -> bool {
    matches!(o["kind"].as_str(), Some("GitRepository" | "Kustomization"))
        && o["metadata"]["namespace"] == "flux-system"
        && o["metadata"]["name"] == "flux-system"
}

/// Step 1 (see the module docs): `git_url` is the fleet repository on the loopback server, `charts_url` its
/// chart repository.
pub fn point_at_loopback(seed: &mut Seed, git_url: &str, charts_url: &str) {
    for (context, objects) in seed.contexts.iter_mut() {
        let real = REAL_CONTEXTS.contains(&context.as_str());
        for o in objects.iter_mut() {
            match (o["kind"].as_str(), is_flux(o)) {
                (Some("HelmRepository"), true) => o["spec"]["url"] = json!(charts_url),
                (Some("GitRepository"), true) if real => {
                    o["spec"]["url"] = json!(git_url);
                    if let Some(spec) = o["spec"].as_object_mut() {
                        spec.remove("secretRef");
                    }
                }
                (Some("Kustomization"), true) if real => {
                    o["spec"]["wait"] = json!(false);
                    // A failed attempt (an apply that timed out on a busy machine) is retried within
                    // 30 s rather than at the next interval (10 m for some).
                    o["spec"]["retryInterval"] = json!("30s");
                    if let Some(spec) = o["spec"].as_object_mut() {
                        spec.remove("healthChecks");
                    }
                }
                (Some("HelmRelease"), true) if real => {
                    o["spec"]["install"]["disableWait"] = json!(true);
                    o["spec"]["upgrade"]["disableWait"] = json!(true);
                }
                _ => {}
            }
        }
    }
}

/// Step 2 (see the module docs).
pub fn keep_bootstrap_only(seed: &mut Seed) {
    for context in REAL_CONTEXTS {
        let Some(objects) = seed.contexts.get_mut(context) else { continue };
        objects.retain(|o| {
            let helm_storage = o["kind"] == "Secret" && o["type"] == "helm.sh/release.v1";
            !helm_storage && (!is_flux(o) || is_bootstrap(o))
        });
        for o in objects.iter_mut().filter(|o| is_flux(o)) {
            if let Some(obj) = o.as_object_mut() {
                obj.remove("status");
            }
        }
    }
    let real = |c: &String| REAL_CONTEXTS.contains(&c.as_str());
    let gone = |r: &Value| is_flux(r) && !is_bootstrap(r);
    seed.to_delete.retain(|(c, r)| !real(c) || !gone(r));
    seed.out_of_band.retain(|(c, change)| {
        !real(c) || !matches!(change, super::OutOfBand::Delete(r) | super::OutOfBand::Edit(r, _) if gone(r))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::seed::{SeedInput, demo_fleet};

    fn seed() -> Seed {
        demo_fleet(&SeedInput {
            now: k8s_openapi::jiff::Timestamp::UNIX_EPOCH,
            workload_kubeconfigs: Default::default(),
        })
    }

    #[test]
    fn every_cluster_fetches_from_loopback_and_waits_on_nothing() {
        let mut s = seed();
        point_at_loopback(&mut s, "http://127.0.0.1:9/fleet.git", "http://127.0.0.1:9/charts");
        for context in REAL_CONTEXTS {
            let objects = &s.contexts[context];
            let repos: Vec<&Value> = objects.iter().filter(|o| o["kind"] == "GitRepository" && is_flux(o)).collect();
            assert!(!repos.is_empty(), "{context}");
            for r in repos {
                assert_eq!(r["spec"]["url"], "http://127.0.0.1:9/fleet.git", "{context}");
                assert!(r["spec"].get("secretRef").is_none());
            }
            for o in objects.iter().filter(|o| o["kind"] == "Kustomization") {
                assert_eq!(o["spec"]["wait"], false, "{context} {}", o["metadata"]);
                assert!(o["spec"].get("healthChecks").is_none());
            }
            for o in objects.iter().filter(|o| o["kind"] == "HelmRelease") {
                assert_eq!(o["spec"]["install"]["disableWait"], true, "{context} {}", o["metadata"]);
            }
        }
        for o in s.contexts.values().flatten().filter(|o| o["kind"] == "HelmRepository") {
            assert_eq!(o["spec"]["url"], "http://127.0.0.1:9/charts");
        }
    }

    #[test]
    fn only_the_bootstrap_pair_is_left_in_each_cluster_without_status() {
        let mut s = seed();
        let before = s.contexts["prod-us"].iter().filter(|o| is_flux(o)).count();
        keep_bootstrap_only(&mut s);
        assert!(before > 2);
        for context in REAL_CONTEXTS {
            let flux: Vec<&Value> = s.contexts[context].iter().filter(|o| is_flux(o)).collect();
            assert_eq!(
                flux.iter().map(|o| o["kind"].as_str().unwrap_or_default()).collect::<Vec<_>>(),
                ["GitRepository", "Kustomization"],
                "{context}"
            );
            assert!(flux.iter().all(|o| o.get("status").is_none() && is_bootstrap(o)), "{context}");
            assert!(!s.contexts[context].iter().any(|o| o["type"] == "helm.sh/release.v1"), "{context}");
        }
    }
}
