//! The policies a rule makes: the approver group's (vote on the environment's requests,
//! never on one's own) and the carrier's (write the ruled environments' credentials,
//! nothing else; kept with the other policies Crypter installs). Pure: the same rules
//! give the same HCL.

/// The carrier's policy (and AppRole) name.
pub const CARRIER: &str = crate::bootstrap::CARRIER_ROLE;

pub use crate::bootstrap::carrier_policy as carrier;

/// The policy and identity group of `env`'s approvers, when the rule names users.
pub fn approvers_name(env: &str) -> String {
    format!("crypter-approvers-{env}")
}

pub fn approvers(env: &str) -> String {
    format!(
        "# Managed by Crypter: the approvers of {env}. Change the rule in Crypter.\n{}",
        crate::roles::policy::vote_rules(env)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn the_carrier_reaches_the_ruled_environments_only() {
        let none = carrier(&BTreeSet::new());
        assert!(!none.contains("path"), "{none}");
        let hcl = carrier(&["production".to_owned()].into());
        assert!(hcl.contains("path \"env/production/data/*\""));
        assert!(!hcl.contains("staging") && !hcl.contains("sys/") && !hcl.contains("crypter/"));
    }

    #[test]
    fn approvers_vote_in_their_environment_and_never_on_their_own() {
        let hcl = approvers("production");
        assert!(hcl.contains("crypter/data/approvals/votes/production/+/+/{{identity.entity.id}}"));
        assert!(hcl.contains(
            "crypter/data/approvals/votes/production/{{identity.entity.id}}/+/{{identity.entity.id}}\" {\n  capabilities = [\"deny\"]"
        ));
    }
}
