//! The views: list tables, the reconciliation tree, the details pane.
pub mod confirm;
pub mod details;
pub mod diff;
pub mod history;
pub mod pinned;
pub mod remediation;
pub mod rollout;
pub mod tables;
pub mod tree;
