//! The GitOps create wizard in the cockpit: a cluster template becomes a reviewed commit in the GitOps
//! repository, step by step, on top of [`crate::gitops`] (which does all the rendering, checking and git).
//!
//! Steps: *Loading* (templates from the fleet's management clusters and the repository's `templates/`, the
//! base branch, the policy) → *Pick* a template → *Form* (one field per parameter, validated and
//! policy-checked as the user types) → *Planning* → *Preview* (every file with its diff against the base
//! branch; policy violations block the write) → *Writing* (branch + commit, push on request) → *Done*
//! (branch, commit, how to open the review, and the change tracked in the live fleet: [`track`]).
//! `esc` cancels at any step before the write starts, and nothing is written then.
//!
//! The teardown wizard ([`teardown`]) shares the shape: *Loading* (the files of the cluster at the base
//! branch) → *Confirm* (exactly what goes and what Flux and Cluster API then delete; the cluster's name
//! typed to confirm) → *Writing* → *Done*. The bootstrap wizard ([`bootstrap`]): *Loading* → *Choose* (both
//! modes explained) → *Planning* → *Preview* → *Writing* → *Done*. The profile wizard ([`profile`]):
//! *Loading* → *Profile* (chart, version, values editor) → *Planning* → *Preview* → *Writing* → *Done*.
//! The claim wizard ([`claim`], `n` in the Crossplane view): *Loading* (the base branch and the policy) →
//! *Form* (the XRD's schema as fields) → *Planning* → *Preview* → *Writing* → *Done*.
//!
//! Shape: this file holds the wizards' data only; the [`Wizard`] lives in
//! [`crate::ui::state::State::gitops`]. [`flow`] opens the create wizard and applies results; [`keys`]
//! changes a wizard without IO and hands back the [`Task`]s to start, which `update` returns as effects;
//! the loop's effects runner starts them ([`tasks`]: network and git off the UI task, blocking git in
//! `spawn_blocking`); their results come back as [`WizardMsg`]s and are applied by [`flow::apply`].
//! Results carry the wizard's id, so a late answer to a cancelled wizard is dropped.
pub mod bootstrap;
pub mod claim;
pub mod flow;
pub mod form;
pub mod keys;
pub mod preview;
pub mod profile;
pub mod tasks;
pub mod teardown;
pub mod track;
pub mod view;

use serde_json::Value;

use crate::config::GitDefaults;
use crate::gitops::policy::Policy;
use crate::gitops::template::Template;
use crate::gitops::{Applied, Base, FileChange, Plan, Repo};

/// The wizards' part of the cockpit state: the open wizard, and the pushed changes being tracked.
#[derive(Debug, Default)]
pub struct Gitops {
    /// The wizard shown, if any.
    pub wizard: Option<Wizard>,
    /// Pushed changes, oldest first (the status bar shows the last one).
    pub tracks: Vec<track::Track>,
    next_id: u64,
}

/// What the wizard learned when it opened.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The user's clone (never touched: commits go through a temporary worktree).
    pub repo: Repo,
    /// The base branch as fetched from the remote.
    pub base: Base,
    /// The remote's URL (`git remote get-url`).
    pub remote_url: String,
    /// Templates: from clusters first (context order), then from the repository's `templates/`.
    pub templates: Vec<Template>,
    /// Profile HelmRepositories by context: `(context, object)`.
    pub profile_repositories: Vec<(String, Value)>,
    /// `.fleetdeck/policy.yaml` at the base commit and the config directory's `policy.yaml` (no rules when
    /// both are absent).
    pub policy: Policy,
    /// Contexts or files that could not be read, for people.
    pub problems: Vec<String>,
}

impl Setup {
    /// A repository and its base, with no templates, profile repositories, policy rules or problems (the
    /// wizards that need only the repository fill in what they use).
    pub fn bare(repo: Repo, base: Base, remote_url: String) -> Setup {
        Setup {
            repo,
            base,
            remote_url,
            templates: Vec::new(),
            profile_repositories: Vec::new(),
            policy: Policy::default(),
            problems: Vec::new(),
        }
    }
}

/// The wizard's steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Reading templates, the base branch and the policy.
    Loading,
    /// Choosing a template.
    Pick,
    /// Reading what a teardown removes and typing the cluster's name.
    Confirm,
    /// Choosing how a cluster is bootstrapped.
    Choose,
    /// Filling in a profile (chart, version, values).
    Profile,
    /// Filling in the parameters.
    Form,
    /// Diffing against the base branch.
    Planning,
    /// Looking at every file to be written.
    Preview,
    /// Committing (and pushing).
    Writing,
    /// The commit exists.
    Done,
}

impl Step {
    /// The step's name for the title.
    pub fn title(self) -> &'static str {
        match self {
            Step::Loading => "loading",
            Step::Pick => "1/4 template",
            Step::Confirm => "confirm",
            Step::Choose => "1/3 mode",
            Step::Profile => "1/3 chart",
            Step::Form => "2/4 parameters",
            Step::Planning | Step::Preview => "3/4 preview",
            Step::Writing | Step::Done => "4/4 commit",
        }
    }
}

/// What the write produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The branch and commit.
    pub applied: Applied,
    /// Whether the remote has the branch at that commit (pushed now or before).
    pub on_remote: bool,
    /// Things to know (e.g. the user's working tree was dirty and was left alone).
    pub notes: Vec<String>,
}

/// Which wizard.
#[derive(Debug, Clone, PartialEq)]
pub enum Flow {
    /// Create a cluster from a template.
    Create,
    /// Remove a cluster's files.
    Teardown(teardown::Target),
    /// Commit a cluster's GitOps bootstrap.
    Bootstrap(bootstrap::Target),
    /// Add a Helm chart profile to a cluster.
    Profile(Box<profile::Target>),
    /// Create a Crossplane claim (or namespaced XR) from an XRD's schema.
    Claim(Box<claim::Target>),
}

/// A wizard: the create wizard, or the teardown one.
#[derive(Debug)]
pub struct Wizard {
    /// Distinguishes this wizard's task results from a cancelled one's.
    pub id: u64,
    /// Which wizard.
    pub flow: Flow,
    /// Where the user is.
    pub step: Step,
    /// Filled in once loaded.
    pub setup: Option<Setup>,
    /// The highlighted template (Pick).
    pub picked: usize,
    /// The parameter form, once a template is chosen.
    pub form: Option<form::Form>,
    /// The plan being previewed.
    pub plan: Option<Plan>,
    /// First line of the preview shown.
    pub scroll: usize,
    /// The result of the write.
    pub written: Option<Written>,
    /// A push of an already written branch is running.
    pub pushing: bool,
    /// The last failure (a task's error), shown until the next attempt.
    pub error: Option<String>,
    /// A hint for the last key (e.g. why enter did nothing).
    pub notice: Option<String>,
    /// What the user must still do by hand after the commit (shown on the last screen).
    pub notes: Vec<String>,
}

/// Work the loop runs off the UI task ([`tasks::spawn`]).
#[derive(Debug, Clone)]
pub enum Task {
    /// Open the repository, fetch the base, read templates (clusters + repository), profile
    /// HelmRepositories and the policy.
    Open { id: u64, git: GitDefaults },
    /// Diff the changes against the base.
    Plan { id: u64, repo: Repo, base: Base, branch: String, message: String, changes: Vec<FileChange> },
    /// Commit the plan on its branch, and push if asked.
    Write { id: u64, repo: Repo, plan: Plan, push: bool },
    /// Push an already written branch.
    Push { id: u64, repo: Repo, branch: String, commit: String },
    /// Open the repository and fetch the base (no templates).
    OpenBase { id: u64, git: GitDefaults },
    /// Open the repository, fetch the base and read the policy (the claim wizard).
    OpenClaim { id: u64, git: GitDefaults },
    /// Plan the bootstrap files of `namespace/name` (reading the components file, if named).
    PlanBootstrap {
        id: u64,
        repo: Repo,
        base: Base,
        url: String,
        namespace: String,
        name: String,
        mode: crate::gitops::bootstrap::BootstrapMode,
        components: Option<String>,
    },
    /// Open the repository, fetch the base, read the templates (for their charts) and profile
    /// HelmRepositories of `context`.
    OpenProfile { id: u64, git: GitDefaults, context: String },
    /// Plan the profiles file of `namespace/cluster` with `choice` added.
    PlanProfile {
        id: u64,
        repo: Repo,
        base: Base,
        namespace: String,
        cluster: String,
        repository: Option<Value>,
        choice: crate::gitops::profiles::ProfileChoice,
    },
    /// Open the repository, fetch the base and plan the teardown of `namespace/name`.
    OpenTeardown { id: u64, git: GitDefaults, namespace: String, name: String },
}

/// A task's result, tagged with the wizard's id.
#[derive(Debug, Clone)]
pub enum WizardMsg {
    /// [`Task::Open`] finished.
    Opened(u64, Result<Box<Setup>, String>),
    /// [`Task::Plan`] finished.
    Planned(u64, Result<Plan, String>),
    /// [`Task::Write`] finished.
    Written(u64, Result<Written, String>),
    /// [`Task::Push`] finished: whether it pushed (false: the remote had it).
    Pushed(u64, Result<bool, String>),
    /// [`Task::OpenTeardown`] finished.
    OpenedTeardown(u64, Result<Box<(Setup, crate::gitops::teardown::Teardown, Plan)>, String>),
}

impl Wizard {
    /// A wizard in its first step, with no task queued.
    pub fn new(id: u64, flow: Flow) -> Wizard {
        Wizard {
            id,
            flow,
            step: Step::Loading,
            setup: None,
            picked: 0,
            form: None,
            plan: None,
            scroll: 0,
            written: None,
            pushing: false,
            error: None,
            notice: None,
            notes: Vec::new(),
        }
    }
}

impl Wizard {
    /// The step where the user edits what is written (the preview's `e`).
    pub fn editing_step(&self) -> Step {
        match self.flow {
            Flow::Create => Step::Form,
            Flow::Bootstrap(_) => Step::Choose,
            Flow::Teardown(_) => Step::Confirm,
            Flow::Profile(_) => Step::Profile,
            Flow::Claim(_) => Step::Form,
        }
    }
}

/// A new wizard id.
pub fn next_id(g: &mut Gitops) -> u64 {
    g.next_id += 1;
    g.next_id
}
