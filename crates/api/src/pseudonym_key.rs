//! The pseudonym key: the HMAC key the inspection report's pseudonyms are made with, kept
//! outside the store so that a backup or an export of the store never carries it.
//!
//! Where it comes from, in order: the `CASELINE_PSEUDONYM_KEY` value (hex), else a key file
//! (`--pseudonym-key-file`, by default `pseudonym.key` beside a SQLite store). A key file that
//! does not exist yet is created on first start with 32 random bytes, readable by its owner
//! only; an existing one that its group or others may read is refused, because anyone who
//! holds the key can tell which pseudonym is which child.
//!
//! Stores written before the key moved hold it as a "deployment secret". On the first start
//! without a key file that secret is written to the new file, so pseudonyms stay what they
//! were, and then removed from the store. Rotating the key (a new file) changes every
//! pseudonym; that is what rotation is for (docs/OPERATIONS.md).
//!
//! What it deliberately does not do: make pseudonyms (`routes::report`), or keep the key in
//! memory anywhere but the server's state.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use rand::RngCore;
use store::EventStore;

/// The name the key had in the store before it moved to a file.
pub const LEGACY_SECRET: &str = "pseudonym_key";

/// The file name beside a SQLite store when no path is given.
pub const DEFAULT_FILE_NAME: &str = "pseudonym.key";

/// How long a key is, in bytes; a shorter one given by hand is refused.
pub const KEY_BYTES: usize = 32;

/// Where the key comes from, as configured.
#[derive(Clone, Default)]
pub enum KeySource {
    /// `pseudonym.key` beside a SQLite store; other stores must name one.
    #[default]
    BesideStore,
    /// A key file at this path.
    File(PathBuf),
    /// The key itself, hex (from `CASELINE_PSEUDONYM_KEY`).
    Hex(String),
}

// The key must never reach a log line through `Config`'s `Debug`.
impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::BesideStore => f.write_str("BesideStore"),
            KeySource::File(p) => f.debug_tuple("File").field(p).finish(),
            KeySource::Hex(_) => f.write_str("Hex(<redacted>)"),
        }
    }
}

/// Why the key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "the store {0} is not a SQLite file, so there is no default place for the pseudonym key: \
         give --pseudonym-key-file PATH (env CASELINE_PSEUDONYM_KEY_FILE) or CASELINE_PSEUDONYM_KEY"
    )]
    NoDefaultPath(String),
    #[error(
        "the pseudonym key in CASELINE_PSEUDONYM_KEY must be at least {KEY_BYTES} bytes written as hex \
         (e.g. the output of `openssl rand -hex 32`)"
    )]
    BadHex,
    #[error(
        "the pseudonym key file {path} must hold at least {KEY_BYTES} bytes written as hex on one line"
    )]
    BadFile { path: PathBuf },
    #[error(
        "the pseudonym key file {path} may be read by its group or others (mode {mode:o}): \
         anyone with it can tell which pseudonym is which child; run `chmod 600 {path}`"
    )]
    Exposed { path: PathBuf, mode: u32 },
    #[error("cannot read or write the pseudonym key file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the store could not be asked for the old pseudonym key")]
    Store(#[from] store::StoreError),
}

/// The key file a source names for a store, if the key comes from a file.
pub fn key_file(source: &KeySource, store_url: &str) -> Result<Option<PathBuf>, KeyError> {
    match source {
        KeySource::Hex(_) => Ok(None),
        KeySource::File(p) => Ok(Some(p.clone())),
        KeySource::BesideStore => {
            let db = store::sqlite_path(store_url)
                .map_err(|_| KeyError::NoDefaultPath(scheme(store_url)))?;
            let dir = Path::new(db).parent().unwrap_or(Path::new("."));
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            Ok(Some(dir.join(DEFAULT_FILE_NAME)))
        }
    }
}

/// A URL's scheme only: the rest may hold a password.
fn scheme(url: &str) -> String {
    url.split_once("://")
        .map_or("(no scheme)", |(s, _)| s)
        .to_owned()
        + "://…"
}

/// The deployment's pseudonym key: read, or created (moving the store's old one if it has
/// one), and in every case no longer left in the store.
pub async fn load(
    source: &KeySource,
    store_url: &str,
    store: &dyn EventStore,
) -> Result<Vec<u8>, KeyError> {
    let key = match (source, key_file(source, store_url)?) {
        (KeySource::Hex(hexed), _) => {
            let key = hex::decode(hexed.trim()).map_err(|_| KeyError::BadHex)?;
            if key.len() < KEY_BYTES {
                return Err(KeyError::BadHex);
            }
            key
        }
        (_, Some(path)) => match read_file(&path)? {
            Some(key) => key,
            None => {
                // `secret` with an empty initial value reads the old key without making one:
                // an empty answer means the store never had it.
                let legacy = store.secret(LEGACY_SECRET, Vec::new()).await?;
                let key = if legacy.is_empty() {
                    let mut fresh = vec![0u8; KEY_BYTES];
                    rand::rng().fill_bytes(&mut fresh);
                    fresh
                } else {
                    tracing::info!(path = %path.display(), "moving the pseudonym key out of the store into its own file");
                    legacy
                };
                create_file(&path, &key)?
            }
        },
        (_, None) => return Err(KeyError::NoDefaultPath(scheme(store_url))),
    };
    // Only once the key is safe elsewhere is the store's copy removed.
    let legacy = store.secret(LEGACY_SECRET, Vec::new()).await?;
    if !legacy.is_empty() && legacy != key {
        tracing::warn!(
            "the store held a different, older pseudonym key; it is removed, and pseudonyms are \
             those of the configured key"
        );
    }
    store.forget_secret(LEGACY_SECRET).await?;
    Ok(key)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The key in an existing file, `None` if there is no file.
fn read_file(path: &Path) -> Result<Option<Vec<u8>>, KeyError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(path)(e)),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(io(path))?
            .permissions()
            .mode()
            & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyError::Exposed {
                path: path.to_owned(),
                mode,
            });
        }
    }
    let key = hex::decode(text.trim()).map_err(|_| KeyError::BadFile {
        path: path.to_owned(),
    })?;
    if key.len() < KEY_BYTES {
        return Err(KeyError::BadFile {
            path: path.to_owned(),
        });
    }
    Ok(Some(key))
}

/// Writes a new key file, owner-only, without ever overwriting one: the key goes to a
/// temporary file first and is then linked into place, which fails if another process made
/// the file meanwhile (that process's key then wins, and is returned).
fn create_file(path: &Path, key: &[u8]) -> Result<Vec<u8>, KeyError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let tmp = dir.join(format!(
        ".{DEFAULT_FILE_NAME}.{}.tmp",
        uuid::Uuid::new_v4().simple()
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = (|| {
        let mut f = options.open(&tmp)?;
        f.write_all(format!("{}\n", hex::encode(key)).as_bytes())?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(&tmp)(e));
    }
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            // The new name must survive a crash too, before the store's copy is removed.
            if let Ok(d) = std::fs::File::open(&dir) {
                let _ = d.sync_all();
            }
            tracing::info!(path = %path.display(), "pseudonym key file created");
            Ok(key.to_vec())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            read_file(path)?.ok_or_else(|| KeyError::BadFile {
                path: path.to_owned(),
            })
        }
        Err(e) => Err(io(path)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_file_sits_beside_a_sqlite_store() {
        let beside = |url: &str| key_file(&KeySource::BesideStore, url).ok().flatten();
        assert_eq!(
            beside("sqlite://./data/caseline.db"),
            Some(PathBuf::from("./data/pseudonym.key"))
        );
        assert_eq!(
            beside("sqlite:///var/lib/caseline/c.db"),
            Some(PathBuf::from("/var/lib/caseline/pseudonym.key"))
        );
        assert_eq!(
            beside("sqlite://caseline.db"),
            Some(PathBuf::from("./pseudonym.key"))
        );
        assert!(matches!(
            key_file(&KeySource::BesideStore, "postgres://u:pw@h/db"),
            Err(KeyError::NoDefaultPath(s)) if !s.contains("pw")
        ));
    }

    #[test]
    fn a_hex_key_never_shows_in_debug() {
        let s = format!("{:?}", KeySource::Hex("00ff".repeat(16)));
        assert!(!s.contains("00ff"), "{s}");
    }
}
