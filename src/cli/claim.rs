//! `fleetdeck claim create`: a Crossplane claim (v1 XRDs) or namespaced composite resource (Crossplane 2)
//! from an XRD's schema, checked field by field and against policy, committed on a branch of its own and
//! pushed with `--push`, like the cluster wizards (see [`fleetdeck::gitops::claim`]).
//!
//! The XRD is read from the context (`--context`, else the current one) by its name, or from `--xrd-file`.
//! `--show-form` prints the fields the XRD gives (path, type, required, default, help) and writes nothing.
use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};
use kube::api::{Api, DynamicObject};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::Value;

use fleetdeck::gitops::Plan;
use fleetdeck::gitops::claim::{self, ClaimForm, DEFAULT_CLAIMS_PATH, FieldKind};
use fleetdeck::gitops::policy::{Policy, Subject};

use super::gitops_common::{self as common, RepoArgs};
use super::{GlobalArgs, UsageError};

/// `fleetdeck claim` subcommands.
#[derive(Debug, Subcommand)]
pub enum ClaimCmd {
    /// Write a claim (or namespaced XR) built from an XRD's schema, on branch fleetdeck/claim-<ns>-<name>.
    Create(CreateArgs),
}

/// `fleetdeck claim create` arguments.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The XRD's name (e.g. xpostgresqlinstances.database.example.org), read from the context.
    #[arg(long, value_name = "NAME", required_unless_present = "xrd_file")]
    pub xrd: Option<String>,
    /// Read the XRD from a YAML file instead.
    #[arg(long, value_name = "FILE", conflicts_with = "xrd")]
    pub xrd_file: Option<PathBuf>,
    /// Name of the claim (or XR).
    #[arg(long, value_name = "NAME", required_unless_present = "show_form")]
    pub name: Option<String>,
    /// Its namespace (claims and namespaced XRs).
    #[arg(short = 'n', long, value_name = "NS", default_value = "default")]
    pub namespace: String,
    /// A field under spec, by dotted path (repeatable): `--set parameters.storageGB=50`. Raw fields take YAML.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub values: Vec<String>,
    /// The Composition to use (compositionRef).
    #[arg(long, value_name = "NAME")]
    pub composition: Option<String>,
    /// Folder of claim manifests in the repository.
    #[arg(long, value_name = "PATH", default_value = DEFAULT_CLAIMS_PATH)]
    pub path: String,
    /// Print the form the XRD gives and write nothing.
    #[arg(long)]
    pub show_form: bool,
    /// Print the plan (the file and its diff against the base) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub repo: RepoArgs,
}

pub fn run(cmd: &ClaimCmd, global: &GlobalArgs) -> Result<()> {
    match cmd {
        ClaimCmd::Create(args) => create(args, global),
    }
}

/// The XRD as JSON: from `--xrd-file`, else read from the context.
fn read_xrd(args: &CreateArgs, global: &GlobalArgs) -> Result<Value> {
    if let Some(file) = &args.xrd_file {
        let text = std::fs::read_to_string(file).map_err(|e| UsageError(format!("{}: {e}", file.display())))?;
        return serde_saphyr::from_str(&text)
            .map_err(|e| UsageError(format!("{}: not YAML: {e}", file.display())).into());
    }
    let name = args.xrd.clone().unwrap_or_default();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(async {
        let clients = common::clients(global).await?;
        let Some((context, client)) = clients.into_iter().next() else {
            return Err(UsageError("no context to read the XRD from".into()).into());
        };
        let client = client.map_err(UsageError)?;
        let gvk = GroupVersionKind::gvk("apiextensions.crossplane.io", "v1", "CompositeResourceDefinition");
        let api: Api<DynamicObject> =
            Api::all_with(client, &ApiResource::from_gvk_with_plural(&gvk, "compositeresourcedefinitions"));
        match tokio::time::timeout(common::request_timeout(global), api.get_opt(&name)).await {
            Ok(Ok(Some(o))) => Ok(serde_json::to_value(o)?),
            Ok(Ok(None)) => Err(UsageError(format!("XRD {name} not found in context {context}")).into()),
            Ok(Err(e)) => {
                Err(UsageError(format!("reading XRD {name} in context {context}: {}", fleetdeck::fleet::describe(&e)))
                    .into())
            }
            Err(_) => Err(UsageError(format!("reading XRD {name} in context {context}: no answer")).into()),
        }
    })
}

fn kind_text(k: &FieldKind) -> String {
    match k {
        FieldKind::String => "string".into(),
        FieldKind::Integer => "integer".into(),
        FieldKind::Number => "number".into(),
        FieldKind::Boolean => "boolean".into(),
        FieldKind::Enum { options } => format!("one of {}", options.join("|")),
        FieldKind::Raw { why } => format!("YAML ({why})"),
    }
}

fn show_form(form: &ClaimForm) {
    let what = if form.claim { "claim" } else { "composite resource" };
    let scope = if form.namespaced { "namespaced" } else { "cluster-scoped" };
    println!("{} {} ({what}, {scope}) from XRD {}", form.api_version, form.kind, form.xrd);
    let rows: Vec<Vec<String>> =
        std::iter::once(["FIELD", "TYPE", "REQUIRED", "DEFAULT", "HELP"].map(String::from).to_vec())
            .chain(form.fields.iter().map(|f| {
                vec![
                    format!("spec.{}", f.path),
                    kind_text(&f.kind),
                    if f.required { "yes".into() } else { "-".into() },
                    f.default.clone().unwrap_or_else(|| "-".into()),
                    f.description.lines().next().unwrap_or_default().to_string(),
                ]
            }))
            .collect();
    print!("{}", super::table::columns(&rows));
}

fn create(args: &CreateArgs, global: &GlobalArgs) -> Result<()> {
    let xrd = read_xrd(args, global)?;
    let form = ClaimForm::from_xrd(&xrd).map_err(UsageError)?;
    if args.show_form {
        show_form(&form);
        return Ok(());
    }
    // `spec.` may be written or not.
    let values: BTreeMap<String, String> = common::parse_pairs("--set", &args.values)?
        .into_iter()
        .map(|(k, v)| (k.trim_start_matches("spec.").to_owned(), v))
        .collect();
    let name = args.name.clone().unwrap_or_default();
    let object = form.render(&name, &args.namespace, &values, args.composition.as_deref()).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| format!("  {}: {}", e.param, e.message)).collect();
        UsageError(format!("{} {name}: invalid values (nothing was written):\n{}", form.kind, lines.join("\n")))
    })?;
    let commit = claim::commit(object, &args.path).map_err(UsageError)?;
    let opened = common::open(&args.repo, global)?;
    let config_dir = fleetdeck::config::Paths::discover().ok().map(|p| p.config_dir);
    let policy = Policy::for_write(&opened.repo, &opened.base.commit, config_dir.as_deref())
        .map_err(|e| UsageError(format!("{e:#}")))?;
    let params: BTreeMap<String, String> = values.iter().map(|(k, v)| (format!("spec.{k}"), v.clone())).collect();
    let files = vec![(commit.file.path.clone(), vec![commit.object.clone()])];
    let violations = policy.check(&Subject { cluster_name: "", params: &params, files: &files });
    if !violations.is_empty() {
        return Err(common::policy_error(&violations));
    }
    let plan =
        Plan::new(&opened.repo, &opened.base, &commit.branch, &commit.message, std::slice::from_ref(&commit.file))?;
    if args.dry_run {
        for f in &plan.files {
            print!("{}", f.diff);
        }
        return Ok(());
    }
    let mut notes = Vec::new();
    let applied = common::write(&opened, &plan, &mut notes)?;
    let ns = if form.namespaced { args.namespace.as_str() } else { "" };
    let out = common::outcome("claim", (ns, &name), &opened, &plan, &applied, notes)?;
    common::print(&out, args.repo.output)
}
