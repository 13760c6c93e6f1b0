//! IAM users and their MFA devices, over `aws::call`: who a profile's keys belong to, and
//! which devices that user has. Shared by MFA-device discovery and `awsenv mfa-device`.

use crate::aws::{self, Call, Reply, Signer};
use crate::error::{Result, fail};
use crate::profile::{Account, Keys};

pub struct User {
    pub name: String,
    pub account_id: String,
}

/// The IAM user behind `keys` (GetCallerIdentity). Root and role credentials have no devices
/// awsenv can manage, and are refused.
pub fn user(account: &Account, keys: &Keys) -> Result<User> {
    let signer = Signer::Keys(account, keys);
    match aws::call(
        account,
        Call::GetCallerIdentity,
        keys.credentials(),
        &signer,
    )? {
        Reply::Identity { arn, account: id } => {
            let name = arn
                .split_once(":user/")
                .map(|(_, path)| path.rsplit('/').next().unwrap_or(path).to_owned())
                .ok_or_else(|| {
                    fail!(
                        Config,
                        "{}: these keys are not an IAM user's ({arn}): MFA devices belong to IAM users",
                        account.name
                    )
                })?;
            Ok(User {
                name,
                account_id: id,
            })
        }
        other => Err(unexpected(&other)),
    }
}

/// The serials of the user's MFA devices.
pub fn devices(account: &Account, keys: &Keys, user: &User) -> Result<Vec<String>> {
    let call = Call::ListMfaDevices {
        user_name: user.name.clone(),
    };
    match aws::call(
        account,
        call,
        keys.credentials(),
        &Signer::Keys(account, keys),
    )? {
        Reply::Devices(serials) => Ok(serials),
        other => Err(unexpected(&other)),
    }
}

pub fn unexpected(reply: &Reply) -> crate::error::Error {
    fail!(Failure, "awsenv-aws gave an unexpected answer: {reply:?}")
}
