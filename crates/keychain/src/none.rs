//! Platforms without a keychain awsenv knows: every call says so.

use crate::{Error, Result};

pub const NAME: &str = "a keychain";

pub struct Keychain;

fn unsupported<T>() -> Result<T> {
    Err(Error::Unreachable(
        "awsenv knows no keychain on this system".into(),
    ))
}

impl Keychain {
    pub fn open(_interactive: bool) -> Result<Keychain> {
        unsupported()
    }

    pub fn locked(&self) -> Result<bool> {
        unsupported()
    }

    pub fn get(&self, _access_key_id: &str) -> Result<Option<String>> {
        unsupported()
    }

    pub fn set(&self, _access_key_id: &str, _secret: &str, _label: &str) -> Result<()> {
        unsupported()
    }

    pub fn delete(&self, _access_key_id: &str) -> Result<bool> {
        unsupported()
    }

    pub fn list(&self) -> Result<Vec<String>> {
        unsupported()
    }
}
