//! End-to-end tests of the awsenv binary: patched moto plays AWS, the real AWS CLI and bash
//! play the client side, and a pty plays the person at the terminal.

#[path = "../support/mod.rs"]
mod support;

mod cache;
mod clock;
mod commands;
mod conventions;
mod doctor;
mod export;
mod failures;
mod hostile;
mod import;
mod keychain;
mod keyring_fixture;
mod login;
mod mfa_device;
mod network;
mod partitions;
mod renewal;
mod rotate;
mod server;
mod sessions;
