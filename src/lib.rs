//! fleetdeck: a terminal cockpit for Kubernetes cluster fleets.
//!
//! The library holds everything the `fleetdeck` binary does, so that tests, benches and the demo fleet use
//! the same code:
//! - [`config`]: the user's `config.yaml`, themes and keymaps, laid over the embedded presets;
//! - [`envtest`]: real `etcd` + `kube-apiserver` processes on loopback, for tests, benches and the demo;
//! - [`demo`]: the demo fleet — seeded objects on real API servers, moved by simulated controllers;
//! - [`fleet`]: every kubeconfig context connected in the background, watches feeding the store;
//! - [`gitops`]: the GitOps wizards' core — templates, policy, plans, commits on review branches;
//! - [`model`]: the pure core — the fleet store, health, summaries (no IO);
//! - [`ui`]: the cockpit (terminal UI);
//! - [`logging`]: tracing to a rolling file in the state directory, never to the terminal.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod config;
pub mod demo;
pub mod envtest;
pub mod fleet;
pub mod gitops;
pub mod logging;
pub mod model;
pub mod ops;
pub mod ui;
