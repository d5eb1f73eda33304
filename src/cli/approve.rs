//! `fleetdeck approve terraform NS/NAME` without `--live`: the GitOps way, as `tfctl approve` — the pending
//! plan id is read from the live object, written as `spec.approvePlan` into the object's manifest in the
//! GitOps repository and committed on a branch of its own (pushed with `--push`) for review.

use anyhow::Result;

use fleetdeck::config::{self, Paths};
use fleetdeck::fleet;
use fleetdeck::model::kinds::KindId;
use fleetdeck::model::object_ref::{ObjectRef, parse_namespaced};
use fleetdeck::ops::approve::{InGit, approve_in_git};
use fleetdeck::ops::{self, Request, Verb, clients::Clients, journal::Journal};

use super::act::{TerraformArgs, context_of, report, warn_if_unrecorded};
use super::{GlobalArgs, UsageError};

/// Approves in git ([`ops::approve::approve_in_git`], with `--repo`, `--base` and `--push` over
/// config.yaml's `git` section); prints and exits like the other actions (3 when refused: read-only, no
/// pending plan, no manifest in the repository).
pub fn in_git(args: &TerraformArgs, global: &GlobalArgs) -> Result<()> {
    let (namespace, name) = parse_namespaced(&args.common.object).map_err(UsageError)?;
    let paths = Paths::discover()?;
    let loaded = config::load(&paths, &super::config::load_options(global))?;
    let kc = fleet::kubeconfig::load(global.kubeconfig.as_deref()).map_err(|e| UsageError(format!("{e:#}")))?;
    let context = context_of(global, &kc)?;
    let req = Request { target: ObjectRef::new(&context, KindId::TERRAFORM, namespace, name), verb: Verb::Approve };
    let readonly = ops::readonly_reason(&loaded.config, global.readonly, &context);
    let place =
        InGit { git: loaded.config.git.clone(), repo: args.repo.clone(), base: args.base.clone(), push: args.push };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let result = rt.block_on(async {
        let client = Clients::new(kc.config.clone(), global.fleet_options()).get(&context).await?;
        approve_in_git(&client, &req, readonly, None, &place).await
    });
    warn_if_unrecorded(Journal::in_dir(&paths.state_dir).record(&req, &result, "in git: "));
    report(&req, result, args.common.output)
}
