//! `fleetdeck approve terraform NS/NAME` without `--live`: the GitOps way, as `tfctl approve` — the pending
//! plan id is read from the live object, written as `spec.approvePlan` into the object's manifest in the
//! GitOps repository and committed on a branch of its own (pushed with `--push`) for review.

use anyhow::Result;
use kube::api::{Api, DynamicObject};

use fleetdeck::config::{self, Paths};
use fleetdeck::fleet;
use fleetdeck::model::kinds::KindId;
use fleetdeck::model::object_ref::ObjectRef;
use fleetdeck::ops::{self, Done, OpError, RefusalKind, Request, Verb, clients::Clients, journal::Journal};

use super::act::{Output, TerraformArgs, context_of, report};
use super::gitops_common::{self, GitopsOutput, RepoArgs};
use super::{GlobalArgs, UsageError};

/// Approves in git; prints and exits like the other actions (3 when refused: read-only, no pending plan,
/// no manifest in the repository).
pub fn in_git(args: &TerraformArgs, global: &GlobalArgs) -> Result<()> {
    let (namespace, name) = args
        .common
        .object
        .split_once('/')
        .filter(|(n, m)| !n.is_empty() && !m.is_empty())
        .map(|(n, m)| (n.to_string(), m.to_string()))
        .ok_or_else(|| UsageError(format!("{:?}: expected NAMESPACE/NAME", args.common.object)))?;
    let paths = Paths::discover()?;
    let loaded = config::load(&paths, &super::config::load_options(global))?;
    let kc = fleet::kubeconfig::load(global.kubeconfig.as_deref()).map_err(|e| UsageError(format!("{e:#}")))?;
    let context = context_of(global, &kc)?;
    let kind = KindId::find(ops::terraform::GROUP, "Terraform").ok_or_else(|| anyhow::anyhow!("no Terraform kind"))?;
    let req = Request { target: ObjectRef { context: context.clone(), kind, namespace, name }, verb: Verb::Approve };
    let journal = Journal::in_dir(&paths.state_dir);
    let result = approve(args, global, &loaded.config, &kc, &req);
    let word = match &result {
        Ok(_) => "ok",
        Err(e) => e.result_word(),
    };
    let message = match &result {
        Ok(d) => d.message.clone(),
        Err(e) => e.to_string(),
    };
    if let Err(e) = journal.append(&req, word, &format!("in git: {message}")) {
        tracing::warn!("journal: {e:#}");
    }
    report(&req, result, args.common.output)
}

fn approve(
    args: &TerraformArgs,
    global: &GlobalArgs,
    config: &fleetdeck::config::Config,
    kc: &fleet::kubeconfig::LoadedKubeconfig,
    req: &Request,
) -> Result<Done, OpError> {
    let t = &req.target;
    if let Some(why) = ops::readonly_reason(config, global.readonly, &t.context) {
        return Err(OpError::refused(RefusalKind::ReadOnly, format!("{why}: approve not committed")));
    }
    let opts = global.fleet_options();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| OpError::Failed(e.to_string()))?;
    let obj: DynamicObject = rt.block_on(async {
        let client = Clients::new(kc.config.clone(), opts).get(&t.context).await?;
        let version = ops::clients::served_version(&client, t.kind).await?;
        let ar = fleet::watch::api_resource(t.kind, &version);
        let api: Api<DynamicObject> = Api::namespaced_with(client, &t.namespace, &ar);
        match api.get_opt(&t.name).await {
            Ok(Some(o)) => Ok(o),
            Ok(None) => Err(OpError::refused(RefusalKind::NotFound, format!("{t} not found"))),
            Err(e) => Err(OpError::Failed(format!("reading {t}: {}", fleet::describe(&e)))),
        }
    })?;
    let plan = ops::terraform::pending_plan(&obj).map_err(|m| OpError::refused(RefusalKind::Precondition, m))?;
    let repo_args = RepoArgs {
        repo: args.repo.clone(),
        base: args.base.clone(),
        push: args.push,
        output: if args.common.output == Output::Json { GitopsOutput::Json } else { GitopsOutput::Text },
    };
    let opened = gitops_common::open(&repo_args, global).map_err(|e| OpError::Failed(format!("{e:#}")))?;
    let applied =
        ops::terraform::approve_in_repo(&opened.repo, &opened.base, &t.namespace, &t.name, &plan, opened.push)?;
    let how = if applied.already_in_base {
        format!("{} already approves {plan}: nothing to commit", opened.base.branch)
    } else {
        let commit = &applied.commit[..applied.commit.len().min(12)];
        let state = match (applied.unchanged, applied.pushed, opened.push) {
            (_, true, _) => "pushed",
            (true, false, true) => "already pushed",
            (false, false, false) => "committed locally; push it with --push",
            _ => "already committed",
        };
        format!(
            "plan {plan} approved on branch {} (commit {commit}, {state}); merge it and Flux applies it",
            applied.branch
        )
    };
    Ok(Done { message: how, written: Some(plan) })
}
