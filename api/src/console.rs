//! The console's sections: one wasm bundle each, so that the first load of a page carries
//! only that section's code. Shared by the console (client-side routing inside a bundle,
//! page loads across bundles) and the backend (which bundle a deep link gets).

/// (bundle, path prefixes it serves). `core` serves every other path, login included.
pub const SECTIONS: &[(&str, &[&str])] = &[
    (
        "ops",
        &["/freeze", "/cluster", "/activity", "/notifications"],
    ),
    ("envs", &["/environments"]),
    ("data", &["/credentials"]),
    ("access", &["/roles"]),
    ("release", &["/changesets"]),
    ("migrate", &["/runbooks"]),
    ("crypto", &["/keys"]),
    ("approvals", &["/requests"]),
];

/// Every bundle's name, `core` first.
pub const BUNDLES: &[&str] = &[
    "core",
    "ops",
    "envs",
    "data",
    "access",
    "release",
    "migrate",
    "crypto",
    "approvals",
];

/// The bundle that serves `path`.
pub fn bundle_for(path: &str) -> &'static str {
    SECTIONS
        .iter()
        .find(|(_, prefixes)| {
            prefixes
                .iter()
                .any(|p| path == *p || (path.starts_with(p) && path[p.len()..].starts_with('/')))
        })
        .map(|(name, _)| *name)
        .unwrap_or("core")
}

#[cfg(test)]
mod tests {
    use super::bundle_for;

    #[test]
    fn deep_links_pick_their_bundle() {
        assert_eq!(bundle_for("/roles"), "access");
        assert_eq!(bundle_for("/roles/deployer"), "access");
        assert_eq!(bundle_for("/credentials"), "data");
        assert_eq!(bundle_for("/environments"), "envs");
        assert_eq!(bundle_for("/search"), "core");
        assert_eq!(bundle_for("/runbooks/42"), "migrate");
        assert_eq!(bundle_for("/changesets"), "release");
        assert_eq!(bundle_for("/"), "core");
        assert_eq!(bundle_for("/freeze"), "ops");
        assert_eq!(bundle_for("/notifications"), "ops");
        assert_eq!(bundle_for("/login"), "core");
        assert_eq!(bundle_for("/rolesx"), "core");
        assert_eq!(bundle_for("/keys"), "crypto");
        assert_eq!(bundle_for("/requests"), "approvals");
        assert_eq!(bundle_for("/requests/r-1"), "approvals");
        assert_eq!(bundle_for("/requestsx"), "core");
    }

    /// Every section's bundle is built and served.
    #[test]
    fn every_section_is_a_bundle() {
        for (name, _) in super::SECTIONS {
            assert!(super::BUNDLES.contains(name), "{name}");
        }
    }

    /// A bundle is served under `/<bundle>/`: a page path of that name would be shadowed.
    #[test]
    fn no_bundle_is_named_like_a_page() {
        for bundle in super::BUNDLES {
            let dir = format!("/{bundle}");
            for (_, prefixes) in super::SECTIONS {
                assert!(!prefixes.contains(&dir.as_str()), "{bundle}");
            }
        }
    }
}
