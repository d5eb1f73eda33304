//! Crossplane's XRDs on a harness API server, without Crossplane: what its XRD controller would do when an
//! XRD is created. [`crds_for`] asks the `crossplane` CLI oracle (`crossplane xrd convert`, crossplane-runtime
//! `pkg/xcrd`) for the composite and claim CRDs an XRD defines, so their schemas are Crossplane's own
//! (the `spec.crossplane` / legacy fields, `status.conditions`, the categories `composite` and `claim`);
//! [`install_xrd`] creates the XRD, then those CRDs, waits until they are established, and writes the
//! `Established` (and `Offered`) conditions the controller would. Test-time only: the oracle is built from the
//! Go module proxy (see [`super::oracles::CROSSPLANE`]).
use std::io::Write;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::{Value, json};

use super::oracles;

/// The CRDs Crossplane derives from `xrd` (YAML or JSON text of a `CompositeResourceDefinition`, v1 or v2):
/// the XR's, then the claim's when the XRD offers one. Builds the oracle first when missing.
///
/// Errors when the oracle cannot be built or run, or refuses the XRD (its message included).
pub fn crds_for(xrd: &str) -> Result<Vec<CustomResourceDefinition>> {
    let bin = oracles::ensure(&oracles::CROSSPLANE, &mut |l| eprintln!("crossplane: {l}"))?;
    let mut child = Command::new(&bin)
        .args(["xrd", "convert", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {}", bin.display()))?;
    child.stdin.take().context("stdin")?.write_all(xrd.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("crossplane xrd convert refused the XRD: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let text = String::from_utf8(out.stdout).context("crossplane xrd convert printed no UTF-8")?;
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).context("crossplane xrd convert printed no YAML")?;
    docs.into_iter()
        .filter(|d| !d.is_null())
        .map(|d| serde_json::from_value(d).context("crossplane xrd convert printed something else than a CRD"))
        .collect()
}

/// Creates the XRD `xrd` (through `apiextensions.crossplane.io/v1` or `v2`, as it is written), then its CRDs
/// ([`crds_for`], owned by the XRD as Crossplane writes them), waits until they are established
/// ([`super::create_crds`]), and writes the XRD's conditions Crossplane's XRD controller writes: `Established` True (`WatchingCompositeResource`) and, with
/// a claim, `Offered` True (`WatchingClaim`). Returns the kinds' CRDs.
///
/// Errors when a CRD or the XRD cannot be created (an existing one is left as it is).
pub async fn install_xrd(client: &kube::Client, xrd: &str) -> Result<Vec<CustomResourceDefinition>> {
    let mut crds = crds_for(xrd)?;
    // The XRD first: its CRDs are owned by it (a controller ownerReference needs its uid).
    let value: Value = serde_saphyr::from_str(xrd).context("the XRD is not YAML")?;
    let obj: DynamicObject = serde_json::from_value(value.clone()).context("the XRD is not an object")?;
    let version = value["apiVersion"].as_str().and_then(|a| a.rsplit_once('/')).map_or("v1", |(_, v)| v);
    let gvk = GroupVersionKind::gvk("apiextensions.crossplane.io", version, "CompositeResourceDefinition");
    let ar = ApiResource::from_gvk_with_plural(&gvk, "compositeresourcedefinitions");
    let xrds: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
    let name = obj.metadata.name.clone().context("the XRD has no name")?;
    let created = match xrds.create(&PostParams::default(), &obj).await {
        Ok(o) => o,
        Err(kube::Error::Api(s)) if s.code == 409 => xrds.get(&name).await?,
        Err(e) => return Err(e).with_context(|| format!("creating XRD {name}")),
    };
    let uid = created.metadata.uid.clone().unwrap_or_default();
    for crd in &mut crds {
        for owner in crd.metadata.owner_references.iter_mut().flatten() {
            owner.uid.clone_from(&uid);
        }
    }
    super::create_crds(client, crds.clone()).await?;
    let now = k8s_openapi::jiff::Timestamp::now().to_string();
    let mut conditions = vec![json!({"type": "Established", "status": "True", "reason": "WatchingCompositeResource",
        "lastTransitionTime": now})];
    if crds.len() > 1 {
        conditions
            .push(json!({"type": "Offered", "status": "True", "reason": "WatchingClaim", "lastTransitionTime": now}));
    }
    let patch = json!({"status": {"conditions": conditions}});
    xrds.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .with_context(|| format!("XRD {name} status"))?;
    Ok(crds)
}
