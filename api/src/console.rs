//! The console's bundles: one small wasm for the login page, and one for every page after
//! login, so a visitor downloads little before the login form works and a working day loads
//! one Leptos runtime. Shared by the console (client-side routing inside a bundle, page
//! loads across bundles) and the backend (which bundle a deep link gets).

/// The bundle of every page but those in [`SECTIONS`]: the console after login.
pub const CONSOLE: &str = "console";

/// (bundle, path prefixes it serves). `core` is the login page, the first thing anyone
/// loads; [`CONSOLE`] serves every other path.
pub const SECTIONS: &[(&str, &[&str])] = &[("core", &["/login"])];

/// Every bundle's name, `core` (the login page) first: the one list of them. The console's
/// build (`scripts/build-console.sh`) and the size bench read it through
/// `scripts/console_bundles.py`; Cargo's `[[bin]]` targets in `frontend/Cargo.toml` cannot,
/// and a test below holds them equal.
pub const BUNDLES: &[&str] = &["core", CONSOLE];

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
        .unwrap_or(CONSOLE)
}

#[cfg(test)]
mod tests {
    use super::bundle_for;

    #[test]
    fn deep_links_pick_their_bundle() {
        assert_eq!(bundle_for("/login"), "core");
        assert_eq!(bundle_for("/login/"), "core");
        assert_eq!(bundle_for("/loginx"), "console");
        for page in [
            "/",
            "/roles",
            "/roles/deployer",
            "/credentials",
            "/search",
            "/runbooks/42",
        ] {
            assert_eq!(bundle_for(page), "console", "{page}");
        }
        assert_eq!(bundle_for("/requests/r-1"), "console");
    }

    /// The login page is the one section; the console serves every other page.
    #[test]
    fn every_section_is_a_bundle() {
        let sections: Vec<&str> = super::SECTIONS.iter().map(|(name, _)| *name).collect();
        assert_eq!(super::BUNDLES, ["core", super::CONSOLE]);
        assert_eq!(sections, ["core"]);
    }

    /// Cargo needs each bundle's binary listed by hand: `frontend/Cargo.toml` lists exactly
    /// the bundles, in order, each `crypter-<bundle>` at `src/bin/<bundle>.rs`, no other
    /// file is in `src/bin/`, and each binary starts the console as its own bundle.
    #[test]
    fn the_consoles_binaries_are_the_bundles() {
        let frontend = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../frontend");
        let manifest = std::fs::read_to_string(frontend.join("Cargo.toml")).unwrap();
        let mut bins = Vec::new();
        for target in manifest.split("[[bin]]").skip(1) {
            let field = |key: &str| {
                target
                    .lines()
                    .find_map(|l| l.trim().strip_prefix(key)?.trim().strip_prefix('='))
                    .map(|v| v.trim().trim_matches('"').to_owned())
                    .unwrap_or_else(|| panic!("a [[bin]] without {key}"))
            };
            bins.push((field("name"), field("path")));
        }
        let want: Vec<(String, String)> = super::BUNDLES
            .iter()
            .map(|b| (format!("crypter-{b}"), format!("src/bin/{b}.rs")))
            .collect();
        assert_eq!(bins, want, "frontend/Cargo.toml's [[bin]] targets");

        let mut files: Vec<String> = std::fs::read_dir(frontend.join("src/bin"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        let mut want: Vec<String> = super::BUNDLES.iter().map(|b| format!("{b}.rs")).collect();
        want.sort();
        assert_eq!(files, want, "frontend/src/bin/");

        for bundle in super::BUNDLES {
            let main = std::fs::read_to_string(frontend.join(format!("src/bin/{bundle}.rs")));
            let starts = format!("crypter_frontend::start(\"{bundle}\"");
            assert!(main.unwrap().contains(&starts), "{bundle}.rs: {starts}");
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
