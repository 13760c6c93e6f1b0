//! AWS partitions: the separate AWS worlds (commercial, China, GovCloud) an account lives in.
//! A partition decides where IAM (global within it) and STS (when no region is set) are
//! asked, and which hosts sign a user in to the console. An account's partition is read off
//! its ARNs (role, MFA device), else its region, as the AWS CLI reads it off the region alone.

use crate::profile::{Account, Source};

#[derive(Debug, PartialEq, Eq)]
pub struct Partition {
    /// As ARNs spell it: `aws`, `aws-cn`, `aws-us-gov`.
    pub id: &'static str,
    /// Where IAM lives, and where STS is asked when the profile names no region.
    pub region: &'static str,
    /// The federation endpoint that turns credentials into a console sign-in token.
    pub federation: &'static str,
    /// The console's front page.
    pub console: &'static str,
}

pub const AWS: Partition = Partition {
    id: "aws",
    region: "us-east-1",
    federation: "https://signin.aws.amazon.com/federation",
    console: "https://console.aws.amazon.com/",
};

pub const CHINA: Partition = Partition {
    id: "aws-cn",
    region: "cn-north-1",
    federation: "https://signin.amazonaws.cn/federation",
    console: "https://console.amazonaws.cn/",
};

pub const GOV_CLOUD: Partition = Partition {
    id: "aws-us-gov",
    region: "us-gov-west-1",
    federation: "https://signin.amazonaws-us-gov.com/federation",
    console: "https://console.amazonaws-us-gov.com/",
};

const ALL: [&Partition; 3] = [&AWS, &CHINA, &GOV_CLOUD];

/// Regions whose STS calls go to the global endpoint `sts.amazonaws.com` when
/// `sts_regional_endpoints = legacy` (botocore's list).
const STS_LEGACY_GLOBAL: [&str; 16] = [
    "ap-northeast-1",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "aws-global",
    "ca-central-1",
    "eu-central-1",
    "eu-north-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// The partition an ARN names (`arn:PARTITION:service:...`).
pub fn of_arn(arn: &str) -> Option<&'static Partition> {
    let id = arn.strip_prefix("arn:")?.split(':').next()?;
    ALL.into_iter().find(|p| p.id == id)
}

/// The partition a region belongs to; a region awsenv does not know is the commercial one's.
pub fn of_region(region: &str) -> &'static Partition {
    if region.starts_with("cn-") {
        &CHINA
    } else if region.starts_with("us-gov-") {
        &GOV_CLOUD
    } else {
        &AWS
    }
}

impl Account {
    /// The account's partition: its role's ARN, else its MFA device's, else its source's,
    /// else its region's.
    pub fn partition(&self) -> &'static Partition {
        let arns = match &self.source {
            Source::Role(role) => vec![Some(role.arn.as_str()), self.mfa_serial.as_deref()],
            Source::Keys(_) => vec![self.mfa_serial.as_deref()],
        };
        arns.into_iter()
            .flatten()
            .find_map(of_arn)
            .or_else(|| match &self.source {
                Source::Role(role) => Some(role.from.partition()),
                Source::Keys(_) => None,
            })
            .unwrap_or_else(|| of_region(self.region.as_deref().unwrap_or("")))
    }

    /// The region STS is asked in: the account's, else its partition's. With
    /// `sts_regional_endpoints = legacy`, a region that had no regional endpoint of its own
    /// before 2019 goes to the global one (the SDK's `aws-global`), as botocore does.
    pub fn sts_region(&self, legacy: bool) -> String {
        let partition = self.partition();
        let region = self.region.as_deref().unwrap_or(partition.region);
        if legacy && partition == &AWS && STS_LEGACY_GLOBAL.contains(&region) {
            "aws-global".into()
        } else {
            region.into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_and_regions_name_their_partition() {
        assert_eq!(of_arn("arn:aws-cn:iam::123456789012:role/x"), Some(&CHINA));
        assert_eq!(of_arn("arn:aws-us-gov:iam::1:mfa/a"), Some(&GOV_CLOUD));
        assert_eq!(of_arn("arn:aws:iam::1:user/a"), Some(&AWS));
        assert_eq!(of_arn("arn:aws-iso:iam::1:user/a"), None);
        assert_eq!(of_arn("GAHT12345678"), None);
        assert_eq!(of_region("cn-northwest-1"), &CHINA);
        assert_eq!(of_region("us-gov-east-1"), &GOV_CLOUD);
        assert_eq!(of_region("eu-west-1"), &AWS);
        assert_eq!(of_region(""), &AWS);
    }
}
