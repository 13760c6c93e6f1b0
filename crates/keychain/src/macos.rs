//! The login Keychain on macOS: generic passwords with the service `awsenv`, the access key
//! id as account, so `security find-generic-password -s awsenv -a AKIA...` finds them.
//!
//! The Keychain asks the person itself, from inside the Security framework's calls: to
//! unlock the keychain, or to allow this program an item another build of it created.
//! Without `interactive`, user interaction is switched off around each call, so such a call
//! fails with errSecInteractionNotAllowed, at once, instead of showing a dialog. That switch
//! is process-wide: a non-interactive call on one thread while another thread waits on a
//! dialog would cut that dialog short.

use std::ffi::c_void;

use security_framework::base::Error as SfError;
use security_framework::item::{
    ItemClass, ItemSearchOptions, ItemUpdateOptions, Limit, update_item,
};
use security_framework::os::macos::keychain::{KeychainUserInteractionLock, SecKeychain};
use security_framework::passwords;

use crate::{Error, Result, SERVICE};

pub const NAME: &str = "the macOS Keychain";

// OSStatus codes of Security.framework (SecBase.h); security-framework-sys has them, but is
// not a dependency of its own.
const ERR_SEC_USER_CANCELED: i32 = -128;
const ERR_SEC_NOT_AVAILABLE: i32 = -25291;
const ERR_SEC_AUTH_FAILED: i32 = -25293;
const ERR_SEC_NO_SUCH_KEYCHAIN: i32 = -25294;
const ERR_SEC_ITEM_NOT_FOUND: i32 = -25300;
const ERR_SEC_NO_DEFAULT_KEYCHAIN: i32 = -25307;
const ERR_SEC_INTERACTION_NOT_ALLOWED: i32 = -25308;

// The keychain's lock state, which security-framework does not wrap. SecKeychainRef is a
// CFTypeRef; SecKeychain::default() hands out no raw pointer without core-foundation's
// TCFType, so the default keychain is copied here again.
#[link(name = "Security", kind = "framework")]
unsafe extern "C" {
    fn SecKeychainCopyDefault(keychain: *mut *mut c_void) -> i32;
    fn SecKeychainGetStatus(keychain: *mut c_void, status: *mut u32) -> i32;
}

#[link(name = "CoreFoundation", kind = "framework")]
unsafe extern "C" {
    fn CFRelease(cf: *const c_void);
}

/// kSecUnlockStateStatus of SecKeychainStatus.
const UNLOCKED: u32 = 1;

pub struct Keychain {
    interactive: bool,
}

impl Keychain {
    pub fn open(interactive: bool) -> Result<Keychain> {
        let keychain = Keychain { interactive };
        let _quiet = keychain.quiet()?;
        SecKeychain::default().map_err(error)?;
        Ok(keychain)
    }

    pub fn locked(&self) -> Result<bool> {
        let mut status = 0;
        unsafe {
            let mut keychain = std::ptr::null_mut();
            check(SecKeychainCopyDefault(&mut keychain))?;
            let got = SecKeychainGetStatus(keychain, &mut status);
            CFRelease(keychain);
            check(got)?;
        }
        Ok(status & UNLOCKED == 0)
    }

    pub fn get(&self, access_key_id: &str) -> Result<Option<String>> {
        let _quiet = self.quiet()?;
        let options = passwords::PasswordOptions::new_generic_password(SERVICE, access_key_id);
        match passwords::generic_password(options) {
            Ok(secret) => String::from_utf8(secret)
                .map(Some)
                .map_err(|_| Error::Failed("the stored secret is not text".into())),
            Err(e) if e.code() == ERR_SEC_ITEM_NOT_FOUND => Ok(None),
            Err(e) => Err(error(e)),
        }
    }

    pub fn set(&self, access_key_id: &str, secret: &str, label: &str) -> Result<()> {
        let _quiet = self.quiet()?;
        // Adds, or replaces the secret of the item with this service and account. Not with
        // the label in the same options: security-framework then looks the existing item up
        // by the label too, and an item with another label is not found.
        passwords::set_generic_password(SERVICE, access_key_id, secret.as_bytes())
            .map_err(error)?;
        let mut label_only = ItemUpdateOptions::new();
        label_only.set_label(label);
        update_item(&item(access_key_id), &label_only).map_err(error)
    }

    pub fn delete(&self, access_key_id: &str) -> Result<bool> {
        let _quiet = self.quiet()?;
        match item(access_key_id).delete() {
            Ok(()) => Ok(true),
            Err(e) if e.code() == ERR_SEC_ITEM_NOT_FOUND => Ok(false),
            Err(e) => Err(error(e)),
        }
    }

    /// Never asks, as on Linux: a locked keychain is `Error::Locked`.
    pub fn list(&self) -> Result<Vec<String>> {
        let _quiet = SecKeychain::disable_user_interaction().map_err(error)?;
        let mut search = ItemSearchOptions::new();
        search
            .class(ItemClass::generic_password())
            .service(SERVICE)
            .load_attributes(true)
            .limit(Limit::All);
        let found = match search.search() {
            Ok(found) => found,
            Err(e) if e.code() == ERR_SEC_ITEM_NOT_FOUND => Vec::new(),
            Err(e) => return Err(error(e)),
        };
        let mut ids: Vec<String> = found
            .iter()
            .filter_map(|item| item.simplify_dict()?.remove("acct")) // kSecAttrAccount
            .collect();
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    /// Switches the Keychain's dialogs off until dropped, unless `interactive`.
    fn quiet(&self) -> Result<Option<KeychainUserInteractionLock>> {
        if self.interactive {
            return Ok(None);
        }
        SecKeychain::disable_user_interaction()
            .map(Some)
            .map_err(error)
    }
}

/// The item of `access_key_id`, to update or delete.
fn item(access_key_id: &str) -> ItemSearchOptions {
    let mut search = ItemSearchOptions::new();
    search
        .class(ItemClass::generic_password())
        .service(SERVICE)
        .account(access_key_id);
    search
}

fn check(status: i32) -> Result<()> {
    match status {
        0 => Ok(()),
        code => Err(error(SfError::from_code(code))),
    }
}

/// One short line; the Security framework's messages never carry the secret.
fn error(e: SfError) -> Error {
    match e.code() {
        ERR_SEC_INTERACTION_NOT_ALLOWED => {
            Error::Locked("the keychain is locked, or asks to allow this program".into())
        }
        ERR_SEC_USER_CANCELED | ERR_SEC_AUTH_FAILED => {
            Error::Locked("the keychain's prompt was declined".into())
        }
        ERR_SEC_NO_DEFAULT_KEYCHAIN | ERR_SEC_NO_SUCH_KEYCHAIN | ERR_SEC_NOT_AVAILABLE => {
            Error::Unreachable("no login keychain".into())
        }
        _ => {
            let text = e.to_string();
            let line = text.lines().next().unwrap_or_default();
            Error::Failed(format!("the macOS Keychain failed: {line}"))
        }
    }
}
