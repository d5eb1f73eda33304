//! The pure core of fleetdeck: no IO, `now` passed in, tested with plain assertions.
//!
//! - [`kinds`]: the catalogue of watched kinds;
//! - [`conditions`] and [`status`]: conditions read safely, and each object's health the way its
//!   controller means it;
//! - [`store`]: the `FleetStore` the watch messages are applied to, holding [`object`]s compact with their
//!   list [`columns`];
//! - [`object_ref`]: an object's identity in the fleet;
//! - [`lineage`]: CAPI Cluster <-> workload cluster links;
//! - [`summary`]: one summary row per context;
//! - [`inventory`]: the health of a Flux inventory's unwatched entries, laid over its tree;
//! - trees: [`tree`] (their shape), [`capi_tree`] (with [`show_conditions`]), [`flux_tree`], [`tf_tree`],
//!   rendered by [`tree_text`].
pub mod capi_tree;
pub mod columns;
pub mod conditions;
pub mod crossplane;
pub mod drift;
pub mod flux_history;
pub mod flux_tree;
pub mod inventory;
pub mod kinds;
pub mod lineage;
pub mod object;
pub mod object_ref;
pub mod pins;
pub mod plan_summary;
pub mod provider_refs;
pub mod pulse;
pub mod remediation;
pub mod rollout;
pub mod show_conditions;
pub mod status;
pub mod store;
pub mod summary;
pub mod tf_tree;
pub mod trace_text;
pub mod tree;
pub mod tree_text;
pub mod xp_tree;
