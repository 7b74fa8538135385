//! `crypter-client`: the library services use to read credentials. The AppRole login,
//! token memoization and stale-read cache arrive with the data-centers-and-clients work;
//! for now the crate only reserves its place in the workspace.
