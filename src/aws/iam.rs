//! IAM users and their MFA devices, over `Aws::call`: who a profile's keys belong to, and
//! which devices that user has. Shared by MFA-device discovery and `awsenv mfa-device`.

use crate::aws::{Aws, Call, Signer};
use crate::error::{Result, fail};
use crate::profile::{Account, Keys};

pub struct User {
    pub name: String,
    pub account_id: String,
}

/// The IAM user behind `keys` (GetCallerIdentity). Root and role credentials have no devices
/// awsenv can manage, and are refused.
pub fn user(aws: &Aws, account: &Account, keys: &Keys) -> Result<User> {
    let signer = Signer::Keys(account, keys);
    let (arn, account_id) = aws
        .call(
            account,
            Call::GetCallerIdentity,
            keys.credentials(),
            &signer,
        )?
        .into_identity()?;
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
    Ok(User { name, account_id })
}

/// The serials of the user's MFA devices.
pub fn devices(aws: &Aws, account: &Account, keys: &Keys, user: &User) -> Result<Vec<String>> {
    let call = Call::ListMfaDevices {
        user_name: user.name.clone(),
    };
    aws.call(
        account,
        call,
        keys.credentials(),
        &Signer::Keys(account, keys),
    )?
    .into_devices()
}
