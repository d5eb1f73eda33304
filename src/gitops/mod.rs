//! The GitOps wizards' core: cluster lifecycle as reviewed git changes, never applied behind git's back.
//!
//! Independent of the terminal UI; a wizard (or the CLI) drives it step by step, running the network and
//! git steps as tasks off the UI thread:
//! 1. [`catalog`]: templates from the fleet's management clusters (GitOpsTemplate, CAPITemplate,
//!    ClusterClass via [`topology`]), from the repository's `templates/` folder, or from a file;
//! 2. [`template::Template::params`] describes the form; [`template::Template::validate`] checks a
//!    parameter set field by field as the user types;
//! 3. [`create::render`] (or [`bootstrap::files`], [`profiles::profiles_documents`], [`teardown::plan`])
//!    produces the file changes; [`envsubst`] substitutes like clusterctl;
//! 4. [`policy::Policy::check`] reports violations at their parameter / object field, and blocks writing;
//! 5. [`plan::Plan::new`] diffs every file against the base branch for the preview;
//! 6. [`repo::Repo::apply`] commits on a branch of its own (never in the user's working tree) and pushes
//!    on request, idempotently.
//!
//! [`claim`] is the claim wizard's core: a Crossplane XRD's schema as a form, a claim (or namespaced XR)
//! rendered from it, committed the same way.
//!
//! [`lifecycle`] builds the bootstrap, teardown and profile plans for both the CLI and the wizards.
//! [`configured::open_configured`] opens the repository as config.yaml's `git` section describes it.
//! [`repo::Repo::apply`] and [`locate::find_object`] are general: any feature that changes files through
//! review (e.g. a Terraform approval in git) uses them.
pub mod bootstrap;
pub mod catalog;
pub mod claim;
pub mod configured;
pub mod create;
pub mod envsubst;
pub mod git;
pub mod kustomize_build;
pub mod lifecycle;
pub mod locate;
pub mod plan;
pub mod policy;
pub mod profiles;
pub mod repo;
pub mod review;
pub mod revision;
pub mod teardown;
pub mod template;
pub mod topology;
pub mod unlisted;
pub mod yaml;

pub use plan::{FileAction, Plan, PlannedFile};
pub use repo::{Applied, Base, FileChange, Repo, RepoError};
