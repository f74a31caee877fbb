//! The command line: init, export, import (SQLite to SQLite, SQLite to PostgreSQL), online
//! backup, verify, tokens, generate and what it refuses.

use serde_json::{Value, json};

use crate::support::build::*;
use crate::support::{Server, TestStore, cli};

const SCHOOL: &str = "school:norwich-high";

/// A store with a few children and records in it, written through the server.
async fn populated() -> TestStore {
    let server = Server::start().await;
    let school = server.client("recorder", SCHOOL).await;
    for _ in 0..3 {
        let child = school.register(SCHOOL).await;
        let c = school.record(child, conversation(SCHOOL, 60)).await;
        school.record(child, retraction(SCHOOL, 30, c)).await;
    }
    let reader = server.client("front_door", "front_door:norfolk-mash").await;
    assert_eq!(reader.get("/health").await.status, 200);
    let Server { .. } = &server;
    // Stop the server so the file is the command line's alone.
    drop_server(server)
}

fn drop_server(server: Server) -> TestStore {
    let mut server = server;
    server.terminate();
    let store = std::mem::replace(&mut server.store, TestStore::sqlite());
    drop(server);
    store
}

fn export(url: &str) -> String {
    let (code, out, err) = cli(&["export", "--store", url]);
    assert_eq!(code, 0, "export: {err}");
    assert!(err.contains("exported"), "a final count: {err}");
    out
}

fn import(url: &str, ndjson: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.ndjson");
    std::fs::write(&file, ndjson).unwrap();
    let (code, _, err) = cli(&["import", file.to_str().unwrap(), "--store", url]);
    (code, err)
}

#[tokio::test]
async fn export_import_export_is_identical_on_sqlite_and_into_postgres() {
    let source = populated().await;
    let first = export(&source.url);
    assert_eq!(first.lines().count(), 9);

    let target = TestStore::sqlite();
    let (code, err) = import(&target.url, &first);
    assert_eq!(code, 0, "{err}");
    assert_eq!(export(&target.url), first);
    // Into a store that is not empty: refused, nothing changed.
    let (code, err) = import(&target.url, &first);
    assert_ne!(code, 0);
    assert!(err.contains("empty"), "{err}");
    assert_eq!(export(&target.url), first);

    match TestStore::postgres().await {
        Some(pg) => {
            let (code, err) = import(&pg.url, &first);
            assert_eq!(code, 0, "{err}");
            assert_eq!(export(&pg.url), first);
            let (code, out, _) = cli(&["verify", "--store", &pg.url]);
            assert_eq!(code, 0, "{out}");
        }
        None => {
            eprintln!("CASELINE_TEST_POSTGRES_URL is not set: SQLite to PostgreSQL not checked");
        }
    }
}

#[tokio::test]
async fn verify_names_the_child_and_record_that_was_altered() {
    let source = populated().await;
    let (code, out, _) = cli(&["verify", "--store", &source.url]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("verified 3 children, 9 events: 0 broken"),
        "{out}"
    );

    // Alter one record's data in an export and load it elsewhere: verify finds it.
    let mut lines: Vec<Value> = export(&source.url)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    lines[1]["data"]["worries"] = json!(["nothing at all"]);
    let (child, event) = (
        lines[1]["child_id"].as_str().unwrap().to_owned(),
        lines[1]["event_id"].as_str().unwrap().to_owned(),
    );
    let altered: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let target = TestStore::sqlite();
    let (code, err) = import(&target.url, &altered);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = cli(&["verify", "--store", &target.url]);
    assert_ne!(code, 0);
    assert!(
        out.contains(&child) && out.contains(&event),
        "names the child and the record: {out}"
    );
}

#[tokio::test]
async fn tokens_from_the_command_line() {
    let store = TestStore::sqlite();
    let secret = store.token("auditor", "council:audit");
    assert!(secret.starts_with("cl_"));
    let (code, out, _) = cli(&["token", "list", "--store", &store.url]);
    assert_eq!(code, 0);
    assert!(!out.contains(&secret), "secrets are never listed");
    let list: Value = serde_json::from_str(&out).unwrap();
    let id = list["tokens"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(cli(&["token", "revoke", &id, "--store", &store.url]).0, 0);
    assert_ne!(
        cli(&[
            "token",
            "revoke",
            &new_id().to_string(),
            "--store",
            &store.url
        ])
        .0,
        0
    );
    let (code, _, err) = cli(&[
        "token", "create", "--role", "boss", "--agency", "x:y", "--name", "n", "--store",
        &store.url,
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("role"), "{err}");
}

#[tokio::test]
async fn an_online_backup_copies_the_store_while_the_server_appends() {
    let server = Server::start().await;
    let school = server.client("recorder", SCHOOL).await;
    let child = school.register(SCHOOL).await;
    school.record(child, conversation(SCHOOL, 60)).await;

    // Appends go on while the backup is taken; the copy is one consistent moment, so its
    // chains verify whatever it caught.
    let writer = {
        let school = school.clone();
        tokio::spawn(async move {
            for _ in 0..40 {
                school.record(child, conversation(SCHOOL, 30)).await;
            }
        })
    };
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("backups").join("caseline.db");
    let copy_str = copy.to_str().unwrap();
    let (code, _, err) = cli(&["backup", "--store", &server.store.url, "--to", copy_str]);
    assert_eq!(code, 0, "backup: {err}");
    assert!(err.contains("backed up"), "a final count: {err}");
    writer.await.unwrap();
    let copy_url = format!("sqlite://{copy_str}");
    let (code, out, err) = cli(&["verify", "--store", &copy_url]);
    assert_eq!(code, 0, "the copy verifies: {out}{err}");
    assert!(
        !dir.path()
            .join("backups")
            .join("caseline.db.partial")
            .exists(),
        "no half file is left"
    );

    // Never over an existing file; never for a store that is not SQLite.
    let (code, _, err) = cli(&["backup", "--store", &server.store.url, "--to", copy_str]);
    assert_ne!(code, 0);
    assert!(err.contains("already exists"), "{err}");
    let (code, _, err) = cli(&[
        "backup",
        "--store",
        "postgres://postgres@127.0.0.1:5432/postgres",
        "--to",
        dir.path().join("pg.db").to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("pg_dump"), "{err}");
    let nowhere = format!("sqlite://{}", dir.path().join("none.db").display());
    let (code, _, err) = cli(&["backup", "--store", &nowhere, "--to", copy_str]);
    assert_ne!(code, 0);
    assert!(err.contains("no Caseline store"), "{err}");
    assert!(!dir.path().join("none.db").exists(), "no store is created");

    // Once the server has stopped, a backup holds exactly what the store holds: it exports
    // the same, and the tokens (and the deployment key, in the same file) come with it.
    let store = drop_server(server);
    let later = dir.path().join("later.db");
    let (code, _, err) = cli(&[
        "backup",
        "--store",
        &store.url,
        "--to",
        later.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let later_url = format!("sqlite://{}", later.display());
    assert_eq!(export(&later_url), export(&store.url));
    let (code, tokens, _) = cli(&["token", "list", "--store", &later_url]);
    assert_eq!(code, 0);
    assert!(tokens.contains(SCHOOL), "tokens are in the copy: {tokens}");
}

/// A mistyped store is refused by every administrative command: non-zero, a message naming the
/// store, and nothing created. An unknown child is not "verified".
#[tokio::test]
async fn commands_refuse_a_store_that_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("typo.db");
    let url = format!("sqlite://{}", missing.display());
    let to = dir.path().join("copy.db");
    let to = to.to_str().unwrap();
    let framework = ["--framework", "norfolk"];
    for args in [
        vec!["verify", "--store", &url],
        vec!["export", "--store", &url],
        vec!["rebuild", "--store", &url, framework[0], framework[1]],
        vec!["backup", "--store", &url, "--to", to],
        vec!["token", "list", "--store", &url],
        vec![
            "token",
            "revoke",
            "6a1f0c2e-4d3b-4b8e-9a57-2f1d3c4b5a69",
            "--store",
            &url,
        ],
        vec![
            "token",
            "create",
            "--role",
            "admin",
            "--agency",
            "council:ops",
            "--name",
            "first",
            "--store",
            &url,
        ],
        vec!["generate", "--children", "3", "--store", &url],
    ] {
        let (code, _, err) = cli(&args);
        assert_ne!(code, 0, "{args:?} succeeded on a missing store");
        assert!(err.contains("no Caseline store"), "{args:?}: {err}");
        assert!(!missing.exists(), "{args:?} created the store");
    }

    let source = populated().await;
    let (code, _, err) = cli(&[
        "verify",
        "--store",
        &source.url,
        "--child",
        "6a1f0c2e-4d3b-4b8e-9a57-2f1d3c4b5a69",
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("no child"), "{err}");
}

/// The first start: `init` makes an empty store and the pseudonym key beside it, says so,
/// and does nothing to a store that is already there; then `token create` works.
#[tokio::test]
async fn init_makes_an_empty_store_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data").join("caseline.db");
    let url = format!("sqlite://{}", db.display());
    let (code, _, err) = cli(&["init", "--store", &url]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("created an empty Caseline store"), "{err}");
    assert!(db.is_file());
    let key = dir.path().join("data").join("pseudonym.key");
    assert!(key.is_file(), "the pseudonym key is made beside the store");
    let key_before = std::fs::read(&key).unwrap();

    let (code, out, err) = cli(&[
        "token",
        "create",
        "--role",
        "admin",
        "--agency",
        "council:ops",
        "--name",
        "first",
        "--store",
        &url,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"token\""), "{out}");

    let (code, _, err) = cli(&["init", "--store", &url]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("nothing changed"), "{err}");
    assert_eq!(std::fs::read(&key).unwrap(), key_before, "the key is kept");
    let (_, tokens, _) = cli(&["token", "list", "--store", &url]);
    assert!(
        tokens.contains("council:ops"),
        "the token is kept: {tokens}"
    );
}

/// `generate` writes a council into an empty store (every chain verifies), refuses a store
/// that holds children unless told `--into-existing`, and refuses a store a server holds.
#[tokio::test]
async fn generate_refuses_a_store_with_children_or_a_server() {
    let store = TestStore::sqlite();
    store.init();
    let (code, _, err) = cli(&["generate", "--children", "5", "--store", &store.url]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("generated 5 children"), "{err}");
    let before = export(&store.url);

    let (code, _, err) = cli(&[
        "generate",
        "--children",
        "5",
        "--seed",
        "2",
        "--store",
        &store.url,
    ]);
    assert_ne!(code, 0);
    assert!(
        err.contains("already holds children") && err.contains("--into-existing"),
        "{err}"
    );
    assert_eq!(export(&store.url), before, "nothing was written");

    let (code, _, err) = cli(&[
        "generate",
        "--children",
        "5",
        "--seed",
        "2",
        "--into-existing",
        "--store",
        &store.url,
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = cli(&["verify", "--store", &store.url]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("verified 10 children"), "{out}");

    // While a server runs on a store, generate keeps out.
    let server = Server::start().await;
    let (code, _, err) = cli(&[
        "generate",
        "--children",
        "2",
        "--into-existing",
        "--store",
        &server.store.url,
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("a server"), "{err}");
    let store = drop_server(server);
    let (code, _, err) = cli(&[
        "generate",
        "--children",
        "2",
        "--into-existing",
        "--store",
        &store.url,
    ]);
    assert_eq!(code, 0, "once the server has stopped: {err}");

    // A generated year ends by yesterday: nothing is recorded before it happens.
    let (code, _, err) = cli(&[
        "generate",
        "--children",
        "2",
        "--into-existing",
        "--end",
        "2999-01-01",
        "--store",
        &store.url,
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("not in the past"), "{err}");
}

/// Generated records were written up after they happened, most within the day: the store
/// holds the generator's `recorded_at`, not the moment of generating.
#[tokio::test]
async fn generated_records_carry_their_recording_delays() {
    let store = TestStore::sqlite();
    store.init();
    let (code, _, err) = cli(&["generate", "--children", "40", "--store", &store.url]);
    assert_eq!(code, 0, "{err}");
    let mut delays: Vec<i64> = export(&store.url)
        .lines()
        .map(|l| {
            let e: Value = serde_json::from_str(l).unwrap();
            let at =
                |f: &str| chrono::DateTime::parse_from_rfc3339(e[f].as_str().unwrap()).unwrap();
            (at("recorded_at") - at("occurred_at")).num_minutes()
        })
        .collect();
    delays.sort_unstable();
    assert!(delays[0] >= 0, "nothing recorded before it happened");
    assert!(
        delays[delays.len() / 2] < 24 * 60,
        "the median is within a day"
    );
    assert!(
        *delays.last().unwrap() > 24 * 60,
        "some are written up days later"
    );
}

/// A move to another store with `migrate`: the events verify there, the agencies' tokens
/// still work, a retry with an idempotency key used before the move gets its first answer,
/// the read log is still in the audit, and the pseudonym key comes along (beside a SQLite
/// target; a PostgreSQL target's server is pointed at the same file).
#[tokio::test]
async fn migrate_carries_tokens_idempotency_keys_the_read_log_and_the_key() {
    let server = Server::start().await;
    let school = server.client("recorder", SCHOOL).await;
    let auditor = server.client("auditor", "council:audit").await;
    let child = school.register(SCHOOL).await;
    let path = format!("/v1/children/{child}/records");
    let key = [("Idempotency-Key", "mis-0001")];
    let body = conversation(SCHOOL, 60);
    let first = school
        .send(reqwest::Method::POST, &path, Some(body.clone()), &key)
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(
        auditor.get(&format!("/v1/children/{child}")).await.status,
        200
    );

    // Not while a server holds the source.
    let target = TestStore::sqlite();
    let (code, _, err) = cli(&["migrate", "--from", &server.store.url, "--to", &target.url]);
    assert_ne!(code, 0);
    assert!(err.contains("a server"), "{err}");

    let source = drop_server(server);
    let source_dir = std::path::PathBuf::from(source.url.trim_start_matches("sqlite://"));
    let source_key = std::fs::read(source_dir.with_file_name("pseudonym.key")).unwrap();

    let mut targets = vec![target];
    match TestStore::postgres().await {
        Some(pg) => targets.push(pg),
        None => {
            eprintln!("CASELINE_TEST_POSTGRES_URL is not set: migrate to PostgreSQL not checked");
        }
    }
    for target in targets {
        let (code, out, err) = cli(&["migrate", "--from", &source.url, "--to", &target.url]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(err.contains("migrated 2 events of 1 children"), "{err}");
        assert!(err.contains("0 broken"), "{err}");
        match target.key_file() {
            // A PostgreSQL target: the command names the key file to point the server at.
            Some(file) => {
                assert!(err.contains("--pseudonym-key-file"), "{err}");
                std::fs::write(&file, &source_key).unwrap();
                std::fs::set_permissions(
                    &file,
                    std::os::unix::fs::PermissionsExt::from_mode(0o600),
                )
                .unwrap();
            }
            None => {
                let copied = std::path::PathBuf::from(target.url.trim_start_matches("sqlite://"))
                    .with_file_name("pseudonym.key");
                assert_eq!(std::fs::read(copied).unwrap(), source_key);
            }
        }
        // Into a store that holds events: refused.
        let (code, _, err) = cli(&["migrate", "--from", &source.url, "--to", &target.url]);
        assert_ne!(code, 0);
        assert!(err.contains("already holds events"), "{err}");

        let moved = Server::start_on(target, &[]).await;
        let school = school.at(&moved);
        let again = school
            .send(reqwest::Method::POST, &path, Some(body.clone()), &key)
            .await;
        assert_eq!(again.status, 201, "{}", again.text);
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(again.body["event_id"], first.body["event_id"]);
        let audit = auditor
            .at(&moved)
            .get(&format!("/v1/children/{child}/audit"))
            .await;
        assert_eq!(audit.status, 200, "{}", audit.text);
        let reads = audit.body["reads"].as_array().unwrap();
        assert!(
            reads.iter().any(|r| r["what"] == "case"),
            "the read of the case before the move is kept: {}",
            audit.text
        );
    }

    // A source that is not there.
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("sqlite://{}", dir.path().join("typo.db").display());
    let other = format!("sqlite://{}", dir.path().join("new.db").display());
    let (code, _, err) = cli(&["migrate", "--from", &missing, "--to", &other]);
    assert_ne!(code, 0);
    assert!(err.contains("no Caseline store"), "{err}");
    assert!(!dir.path().join("typo.db").exists());
}

/// A store that cannot be reached is one clear line on stderr: what was tried (the password
/// hidden) and why, never a library's debug dump.
#[tokio::test]
async fn an_unreachable_store_is_one_clear_line() {
    // Port 1 on the loopback: nothing listens there, so the connection is refused at once.
    let url = "postgres://caseline:hunter2@127.0.0.1:1/caseline";
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k");
    for args in [
        vec!["verify", "--store", url],
        vec!["token", "list", "--store", url],
        vec!["init", "--store", url],
        vec![
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--store",
            url,
            "--pseudonym-key-file",
            key.to_str().unwrap(),
        ],
    ] {
        let (code, _, err) = cli(&args);
        assert_ne!(code, 0, "{args:?}");
        let line = err.trim();
        assert_eq!(line.lines().count(), 1, "{args:?}: {err}");
        assert!(line.starts_with("caseline: "), "{args:?}: {err}");
        assert!(line.contains("refused"), "{args:?}: {err}");
        assert!(!line.contains("hunter2"), "the password is hidden: {err}");
        assert!(
            !line.contains("Error {") && !line.contains("kind:"),
            "no debug dump: {err}"
        );
    }
}

/// While a wholesale writer (generate, migrate) holds a store, a server will not start on it,
/// on SQLite and on PostgreSQL; once it lets go, the server starts.
#[tokio::test]
async fn a_server_does_not_start_on_a_store_being_generated() {
    let mut stores = vec![TestStore::sqlite()];
    stores.extend(TestStore::postgres().await);
    for store in stores {
        store.init();
        let held = store::lock::lock(&store.url, store::lock::LockMode::Exclusive)
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("k");
        let (code, _, err) = cli(&[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--store",
            &store.url,
            "--pseudonym-key-file",
            key.to_str().unwrap(),
        ]);
        assert_ne!(code, 0);
        assert!(err.contains("caseline generate"), "{err}");
        drop(held);
        let server = Server::start_on(store, &[]).await;
        assert_eq!(server.anonymous().get("/health").await.status, 200);
    }
}

/// The demo takes a free port when the one asked for is taken, points at a journey whose
/// `known_at` view differs from its `as_of` one, gives an inspector's report link, and removes
/// its temporary store when stopped with SIGTERM.
#[tokio::test]
async fn the_demo_finds_a_port_shows_known_at_and_cleans_up() {
    use std::io::{BufRead, BufReader};
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let mut demo = std::process::Command::new(crate::support::bin())
        .args(["demo", "--listen", &addr, "--children", "40"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = demo.stdout.take().unwrap();
    let lines = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let done = line.starts_with("listening on ");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    })
    .await
    .unwrap();
    let out = lines.join("\n");
    assert!(out.contains("is taken, so the demo listens on"), "{out}");
    assert!(out.contains("known_at="), "a known_at link: {out}");
    assert!(out.contains("as an inspector sees it"), "{out}");
    let store = out
        .lines()
        .find_map(|l| l.strip_prefix("store (removed when the demo stops): sqlite://"))
        .map_or_else(
            || panic!("the store is named: {out}"),
            std::path::PathBuf::from,
        );
    let dir = store.parent().unwrap().to_owned();
    assert!(dir.is_dir());

    // The two journeys the demo points at differ: a record written up later is missing from
    // the one as it was known.
    let token = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("front_door token: "))
        .unwrap()
        .to_owned();
    let links: Vec<&str> = out
        .split(['\'', ' '])
        .filter(|w| w.starts_with("http://") && w.contains("as_of="))
        .collect();
    assert_eq!(links.len(), 2, "{out}");
    let http = reqwest::Client::new();
    let mut counts = Vec::new();
    for link in links {
        let r: serde_json::Value = http
            .get(link)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        counts.push(r["records"].as_array().map_or(0, Vec::len));
    }
    assert!(
        counts[1] < counts[0],
        "known_at shows fewer records: {counts:?}"
    );

    let _ = std::process::Command::new("kill")
        .args(["-TERM", &demo.id().to_string()])
        .status();
    let status = tokio::task::spawn_blocking(move || demo.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");
    assert!(!dir.exists(), "the temporary store is removed");
    drop(taken);
}

#[tokio::test]
async fn a_token_revoked_on_the_command_line_is_refused_by_a_running_server_at_once() {
    // A SQLite server answers token checks from what it read since the database last changed
    // (`store::sqlite::token_reads`); a revocation by another process on the same file is such
    // a change, so the next request is refused, however recently the token was checked.
    let server = Server::start().await;
    let school = server.client("recorder", SCHOOL).await;
    let path = "/v1/children?nhs_number=9434765919";
    for _ in 0..3 {
        assert_ne!(school.get(path).await.status, 401);
    }
    let (code, out, err) = cli(&["token", "list", "--store", &server.store.url]);
    assert_eq!(code, 0, "{err}");
    let list: Value = serde_json::from_str(&out).unwrap();
    let id = list["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["agency"] == SCHOOL)
        .and_then(|t| t["id"].as_str())
        .unwrap()
        .to_owned();
    assert_eq!(
        cli(&["token", "revoke", &id, "--store", &server.store.url]).0,
        0
    );
    school.get(path).await.problem(401);
}
