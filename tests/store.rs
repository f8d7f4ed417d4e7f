//! The store on real databases: one suite run against a SQLite file and
//! against a PostgreSQL cluster (masking before writing, groups of
//! unanswered questions, CSV export and retention, drafts and revisions),
//! then what only SQLite's write-ahead log does.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use madoguchi::store::log::{GroupStatus, groups_csv};
use madoguchi::store::{ReplyRecord, Store};

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn reply(text: &str, words: &[&str], decision: &str) -> ReplyRecord {
    ReplyRecord {
        id: uuid::Uuid::now_v7().simple().to_string(),
        channel: "web".into(),
        session: Some("pseudonym".into()),
        client: Some("203.0.113.0/24".into()),
        text: text.into(),
        // Tapped buttons are logged as 「［選択］…」.
        typed: !text.starts_with('［'),
        words: words.iter().map(|w| w.to_string()).collect(),
        decision: decision.into(),
        entry_id: (decision == "answer").then(|| "juminhyo".to_string()),
        confidence: (decision == "answer").then(|| "high".to_string()),
        candidates: vec![("juminhyo".into(), 9.5), ("koseki".into(), 4.25)],
        content_version: "v1".into(),
        source_message: None,
        public_numbers: Default::default(),
    }
}

/// A message long enough that replies fill the write-ahead log quickly.
fn long_message() -> String {
    "国民健康保険の保険証をなくしたときの再発行の手続きを教えてください".repeat(15)
}

fn record(store: &Store, text: &str, words: &[&str], decision: &str) -> String {
    let record = reply(text, words, decision);
    let id = record.id.clone();
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(store.record_reply(record))
        .unwrap();
    id
}

fn export(store: &Store, since: i64) -> String {
    let mut out = Vec::new();
    store.export_csv(since, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Each test of the suite, run on a new SQLite file and on a new
/// PostgreSQL database.
macro_rules! on_both_stores {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $test() {
                    let dir = tempfile::tempdir().unwrap();
                    super::$test(&|| madoguchi::store::Store::open(dir.path()).unwrap());
                }
            )*
        }
        mod postgresql {
            use super::common;
            $(
                #[test]
                fn $test() {
                    if let Some(url) = common::postgres::database() {
                        super::$test(&|| super::open_postgres(&url));
                    }
                }
            )*
        }
    };
}

on_both_stores!(
    personal_data_is_masked_before_it_is_written,
    unanswered_questions_are_grouped_by_their_words,
    the_log_exports_as_csv_for_excel_and_old_rows_expire,
    the_export_reads_page_after_page_in_order,
    feedback_is_kept_per_reply_and_summed_per_entry,
    concurrent_replies_are_all_committed,
    drafts_revisions_and_the_audit_log_round_trip,
    shared_state_is_the_same_for_every_replica,
    the_line_queue_answers_each_event_once_in_chat_order_on_any_replica,
    a_message_taken_back_leaves_the_log,
    disaster_mode_is_shared_and_every_switch_is_audited,
    tickets_carry_a_handoff_from_waiting_to_closed,
    staff_notices_are_claimed_once_and_retried,
);

/// A store on the PostgreSQL database at `url`, as a replica opens it.
fn open_postgres(url: &str) -> Store {
    common::postgres::store(url)
}

/// A store on `url` with `ca_file` for TLS, or the error.
fn open_with(
    url: &str,
    ca_file: Option<&std::path::Path>,
) -> Result<Store, madoguchi::store::StoreError> {
    Store::open_configured(
        std::path::Path::new("unused"),
        &madoguchi::config::StoreSettings {
            database_url: Some(url.to_string()),
            connections: 2,
            tls_ca_file: ca_file.map(std::path::Path::to_path_buf),
        },
    )
}

/// Opens a store on the test's database; a second call opens another on
/// the same database, as a second replica would.
type Open<'a> = &'a dyn Fn() -> Store;

fn personal_data_is_masked_before_it_is_written(open: Open) {
    let store = &open();
    record(
        store,
        "090-1234-5678の田中です。番号は123456789012",
        &["090", "1234", "田中", "番号"],
        "fallback",
    );
    let csv = export(store, 0);
    assert!(
        csv.contains("［電話番号］の田中です。番号は［個人番号］"),
        "{csv}"
    );
    assert!(
        !csv.contains("5678") && !csv.contains("123456789012"),
        "{csv}"
    );
}

fn unanswered_questions_are_grouped_by_their_words(open: Open) {
    let store = &open();
    record(store, "犬の登録はどこで", &["犬", "登録"], "fallback");
    record(store, "犬の登録をしたい", &["犬", "登録"], "fallback");
    record(store, "飼い犬の登録", &["飼い", "犬", "登録"], "choices");
    record(store, "粗大ごみの出し方", &["粗大ごみ", "出す"], "fallback");
    record(store, "住民票がほしい", &["住民票"], "answer");
    let unhelpful = record(store, "住民票の写し", &["住民票", "写し"], "answer");
    assert!(store.record_feedback(&unhelpful, false).unwrap());
    record(store, "［選択］犬の登録", &[], "answer");

    let groups = store.review_groups(0).unwrap();
    let dogs = &groups[0];
    assert_eq!(dogs.key, "犬 登録");
    assert_eq!(dogs.count, 3, "the near group 飼い 犬 登録 is merged");
    assert_eq!(dogs.fallbacks, 2);
    assert_eq!(dogs.examples.len(), 3);
    let keys: Vec<&str> = groups.iter().map(|g| g.key.as_str()).collect();
    assert!(keys.contains(&"出す 粗大ごみ"), "{keys:?}");
    assert!(
        keys.contains(&"住民票 写し"),
        "unhelpful answers are reviewed: {keys:?}"
    );
    assert!(
        !keys.contains(&"住民票"),
        "helpful-or-unvoted answers are not: {keys:?}"
    );
    assert_eq!(groups.len(), 3);

    store
        .mark_group("犬 登録", GroupStatus::Done, Some("pet-registration"))
        .unwrap();
    store
        .mark_group("出す 粗大ごみ", GroupStatus::Ignored, None)
        .unwrap();
    let groups = store.review_groups(0).unwrap();
    assert_eq!(groups[0].status, GroupStatus::Done);
    assert_eq!(groups[0].entry_id.as_deref(), Some("pet-registration"));
    let garbage = groups.iter().find(|g| g.key == "出す 粗大ごみ").unwrap();
    assert_eq!(garbage.status, GroupStatus::Ignored);
    store
        .mark_group("出す 粗大ごみ", GroupStatus::Open, None)
        .unwrap();
    let groups = store.review_groups(0).unwrap();
    let garbage = groups.iter().find(|g| g.key == "出す 粗大ごみ").unwrap();
    assert_eq!(garbage.status, GroupStatus::Open);

    let mut out = Vec::new();
    groups_csv(&groups, &mut out).unwrap();
    let csv = String::from_utf8(out).unwrap();
    assert!(csv.starts_with('\u{feff}'), "BOM for Excel");
    assert!(csv.contains("犬 登録,3,2,"), "{csv}");
}

fn the_log_exports_as_csv_for_excel_and_old_rows_expire(open: Open) {
    let store = &open();
    let id = record(store, "住民票, \"写し\"がほしい", &["住民票"], "answer");
    store.record_feedback(&id, true).unwrap();
    record(store, "宇宙旅行", &["宇宙", "旅行"], "fallback");

    let csv = export(store, 0);
    assert!(
        csv.starts_with("\u{feff}日時,経路,利用者,質問,判定,回答ID,確度,候補,評価,内容版,接続元\n"),
        "{csv}"
    );
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][3], "住民票, \"写し\"がほしい");
    assert_eq!(&rows[0][4], "answer");
    assert_eq!(&rows[0][5], "juminhyo");
    assert_eq!(&rows[0][8], "役に立った");
    assert_eq!(
        &rows[0][10], "203.0.113.0/24",
        "the network, never the address"
    );
    assert!(rows[0][7].contains("juminhyo"));
    assert_eq!(&rows[1][4], "fallback");
    assert_eq!(
        export(store, now() + 10).lines().count(),
        1,
        "only the header"
    );

    let summary = store.summary(0).unwrap();
    assert_eq!(summary.queries, 2);
    assert_eq!(summary.rate("answer"), 0.5);
    assert_eq!(summary.helpful, 1);
    assert_eq!(summary.top_entries, [("juminhyo".to_string(), 1)]);

    assert_eq!(store.delete_older_than(now() - 3600).unwrap(), 0);
    assert_eq!(store.delete_older_than(now() + 10).unwrap(), 2);
    assert_eq!(export(store, 0).lines().count(), 1);
}

fn the_export_reads_page_after_page_in_order(open: Open) {
    let store = &open();
    // More rows than one page of the export, several in the same second.
    let texts: Vec<String> = (0..4_500).map(|i| format!("質問{i:05}")).collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        for text in &texts {
            let mut reply = reply(text, &[], "fallback");
            reply.typed = true;
            store.record_reply(reply).await.unwrap();
        }
    });
    let csv = export(store, 0);
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let exported: Vec<String> = reader
        .records()
        .map(|row| row.unwrap()[3].to_string())
        .collect();
    assert_eq!(exported, texts, "every row once, in the order written");
}

fn feedback_is_kept_per_reply_and_summed_per_entry(open: Open) {
    let store = &open();
    let a = record(store, "住民票がほしい", &["住民票"], "answer");
    let b = record(store, "住民票の写し", &["住民票"], "answer");
    let mut other = reply("転居届", &["転居"], "answer");
    other.entry_id = Some("tenkyo".into());
    let c = other.id.clone();
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(store.record_reply(other))
        .unwrap();
    assert!(store.record_feedback(&a, false).unwrap());
    assert!(
        store.record_feedback(&a, true).unwrap(),
        "a vote can be changed"
    );
    assert!(store.record_feedback(&b, false).unwrap());
    assert!(store.record_feedback(&c, true).unwrap());
    assert!(!store.record_feedback("missing", true).unwrap());
    let summary = store.feedback_by_entry().unwrap();
    assert_eq!(
        summary[0],
        madoguchi::store::EntryFeedback {
            entry_id: "juminhyo".into(),
            helpful: 1,
            not_helpful: 1
        }
    );
    assert_eq!(summary[1].entry_id, "tenkyo");
    assert_eq!(summary.len(), 2);
}

fn concurrent_replies_are_all_committed(open: Open) {
    let store = &open();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..500)
            .map(|i| store.record_reply(reply(&format!("質問{i}"), &[], "answer")))
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    assert_eq!(store.summary(0).unwrap().queries, 500);
}

fn drafts_revisions_and_the_audit_log_round_trip(open: Open) {
    let store = &open();
    use madoguchi::store::content::{DraftStatus, Files, NewRevision};
    let draft = store
        .create_draft(
            "editor",
            "住民票の回答を直す",
            Some("住民票 写し"),
            Some("juminhyo"),
        )
        .unwrap();
    store
        .set_draft_file(
            draft,
            "certificates.yaml",
            Some("new text\n"),
            Some("old text\n"),
        )
        .unwrap();
    // A second change keeps the base the draft started from.
    store
        .set_draft_file(
            draft,
            "certificates.yaml",
            Some("newer text\n"),
            Some("other\n"),
        )
        .unwrap();
    store
        .set_draft_file(draft, "gone.yaml", None, None)
        .unwrap();
    let read = store.draft(draft).unwrap().unwrap();
    assert_eq!(read.author, "editor");
    assert_eq!(read.status, DraftStatus::Open);
    assert_eq!(read.group_key.as_deref(), Some("住民票 写し"));
    assert_eq!(
        read.files["certificates.yaml"].as_deref(),
        Some("newer text\n")
    );
    assert_eq!(read.files["gone.yaml"], None);
    let published: Files = [("certificates.yaml".to_string(), "old text\n".to_string())].into();
    assert!(read.conflicts(&published).is_empty());
    let moved_on: Files = [("certificates.yaml".to_string(), "changed\n".to_string())].into();
    assert_eq!(read.conflicts(&moved_on), ["certificates.yaml"]);
    assert_eq!(store.drafts(DraftStatus::Open).unwrap().len(), 1);

    let after: Files = [("certificates.yaml".to_string(), "newer text\n".to_string())].into();
    let revision = store
        .record_revision(&NewRevision {
            draft_id: Some(draft),
            author: "editor",
            approver: "approver",
            message: &read.title,
            diff: "-old\n+newer\n",
            before: &published,
            after: &after,
        })
        .unwrap();
    store.close_draft(draft, DraftStatus::Published).unwrap();
    assert!(store.drafts(DraftStatus::Open).unwrap().is_empty());
    let back = store.revision(revision).unwrap().unwrap();
    assert_eq!((back.before, back.after), (published, after));
    assert_eq!(store.revisions().unwrap()[0].approver, "approver");
    assert!(store.revision(revision + 1).unwrap().is_none());

    store.audit("approver", "publish", "=revision 1").unwrap();
    let log = store.audit_log(0).unwrap();
    assert_eq!(log[0].action, "publish");
    let mut out = Vec::new();
    madoguchi::store::content::audit_csv(&log, &mut out).unwrap();
    let csv = String::from_utf8(out).unwrap();
    assert!(csv.contains(",approver,publish,'=revision 1"), "{csv}");
}

#[test]
fn personal_data_never_reaches_the_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    record(
        &store,
        "090-1234-5678の田中です。番号は123456789012",
        &["090", "1234", "田中", "番号"],
        "fallback",
    );
    drop(store);
    let mut bytes = std::fs::read(dir.path().join("madoguchi.sqlite3")).unwrap();
    bytes.extend(std::fs::read(dir.path().join("madoguchi.sqlite3-wal")).unwrap_or_default());
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("5678"), "the phone number was written");
    assert!(
        !text.contains("123456789012"),
        "the individual number was written"
    );
}

#[test]
fn an_unreachable_postgresql_is_an_error_that_names_it_without_the_password() {
    let port = common::free_port();
    let url = format!("postgresql://city:secret@127.0.0.1:{port}/madoguchi");
    let err = open_with(&url, None)
        .err()
        .expect("nothing listens there")
        .to_string();
    assert!(
        err.contains(&format!("127.0.0.1:{port}/madoguchi")) && err.contains("check that"),
        "{err}"
    );
    assert!(!err.contains("secret"), "{err}");
    let err = open_with("mysql://x", None).err().unwrap().to_string();
    assert!(
        err.contains("postgresql://USER:PASSWORD@HOST:PORT/DATABASE"),
        "{err}"
    );
}
#[test]
fn logs_export_prints_the_csv_since_a_day() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    record(&store, "犬の登録はどこで", &["犬", "登録"], "fallback");
    drop(store);
    let export = |since: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_madoguchi"))
            .args(["logs", "export", "--data-dir"])
            .arg(dir.path())
            .args(["--since", since])
            .output()
            .unwrap()
    };
    let output = export("2020-01-01");
    assert!(output.status.success(), "{output:?}");
    let csv = String::from_utf8(output.stdout).unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert!(csv.contains("犬の登録はどこで"), "{csv}");
    let later = export("2999-01-01");
    assert_eq!(String::from_utf8(later.stdout).unwrap().lines().count(), 1);
    let bad_date = export("2026-13-01");
    assert!(!bad_date.status.success());
    assert!(String::from_utf8_lossy(&bad_date.stderr).contains("YYYY-MM-DD"));

    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_madoguchi"))
        .args(["logs", "export", "--data-dir", "/nonexistent/place"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no query log"));
}

#[test]
fn committed_replies_reach_the_database_file_without_waiting_for_a_reply() {
    // Commits only append to the write-ahead log; the checkpoint thread
    // copies them into the database file within about a second.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let database = dir.path().join("madoguchi.sqlite3");
    let size = || std::fs::metadata(&database).unwrap().len();
    let before = size();
    let text = "住民票の写しをコンビニで取るにはどうすればよいですか".repeat(10);
    for _ in 0..200 {
        record(&store, &text, &["住民票", "コンビニ"], "answer");
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while size() <= before && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        size() > before,
        "the database file stayed at {before} bytes"
    );
}

#[test]
fn the_write_ahead_log_starts_over_while_replies_keep_coming() {
    // A commit never waits for the checkpoint, but left at that the log would
    // only grow under steady traffic (it starts over only once all of it is
    // copied). Here 64 clients record replies without a pause; the log must
    // start over again and again while they go on. Each start writes a new
    // header, whose checkpoint sequence number (bytes 12..16) goes up.
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(Store::open(dir.path()).unwrap());
    let wal = dir.path().join("madoguchi.sqlite3-wal");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let writing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let text = long_message();
    for _ in 0..64 {
        let (store, writing, text) = (store.clone(), writing.clone(), text.clone());
        runtime.spawn(async move {
            while writing.load(std::sync::atomic::Ordering::Relaxed) {
                let reply = reply(&text, &["保険証", "再発行"], "answer");
                store.record_reply(reply).await.unwrap();
            }
        });
    }
    let sequence = || {
        use std::io::Read;
        let mut header = [0; 16];
        std::fs::File::open(&wal)
            .ok()?
            .read_exact(&mut header)
            .ok()?;
        Some(u32::from_be_bytes(header[12..16].try_into().unwrap()))
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut seen = Vec::new();
    while seen.len() < 3 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
        if let Some(number) = sequence()
            && seen.last() != Some(&number)
        {
            seen.push(number);
        }
    }
    writing.store(false, std::sync::atomic::Ordering::Relaxed);
    let size = std::fs::metadata(&wal).unwrap().len();
    assert!(
        seen.len() >= 3,
        "the write-ahead log started over {} times in 10 s, and is {size} bytes; headers: {seen:?}",
        seen.len().saturating_sub(1)
    );
}

#[test]
fn a_long_read_does_not_hold_up_replies() {
    // Starting the log over waits for readers still on an older snapshot
    // while it holds the writer back; a long read (an export, say) must not
    // stall every reply for that long.
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(Store::open(dir.path()).unwrap());
    record(&store, "住民票", &["住民票"], "answer");
    let reader = rusqlite::Connection::open(dir.path().join("madoguchi.sqlite3")).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let count: i64 = reader
        .query_row("SELECT COUNT(*) FROM replies", [], |row| row.get(0))
        .unwrap();
    assert_eq!(count, 1);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let text = long_message();
    let clients: Vec<_> = (0..16)
        .map(|_| {
            let (store, text) = (store.clone(), text.clone());
            runtime.spawn(async move {
                let until = std::time::Instant::now() + std::time::Duration::from_secs(4);
                let mut slowest = std::time::Duration::ZERO;
                while std::time::Instant::now() < until {
                    let started = std::time::Instant::now();
                    let reply = reply(&text, &["保険証"], "answer");
                    store.record_reply(reply).await.unwrap();
                    slowest = slowest.max(started.elapsed());
                }
                slowest
            })
        })
        .collect();
    let slowest = runtime.block_on(async {
        let mut slowest = std::time::Duration::ZERO;
        for client in clients {
            slowest = slowest.max(client.await.unwrap());
        }
        slowest
    });
    reader.execute_batch("COMMIT").unwrap();
    assert!(
        slowest < std::time::Duration::from_secs(1),
        "a reply waited {slowest:?} for its commit"
    );
}

fn shared_state_is_the_same_for_every_replica(open: Open) {
    use madoguchi::store::shared::StoredSession;
    use std::time::Duration;
    let (a, b) = (open(), open());

    let key = a.secret("pseudonym_key", || "made by a".into()).unwrap();
    assert_eq!(key, "made by a");
    assert_eq!(
        b.secret("pseudonym_key", || "made by b".into()).unwrap(),
        "made by a",
        "the first replica's secret is everyone's"
    );

    let hour = Duration::from_secs(3600);
    // Conversations are kept with the reply that changed them.
    let save = |store: &Store, key: &str, state: &str, idle: Duration| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(store.record_reply_with(
                reply("住民票", &["住民票"], "answer"),
                madoguchi::store::ConversationWrite {
                    key: key.into(),
                    state: state.into(),
                    idle,
                },
            ))
            .unwrap();
    };
    save(&a, "resident", "{\"offered\":[1]}", hour);
    assert_eq!(
        b.conversation("resident").unwrap().as_deref(),
        Some("{\"offered\":[1]}")
    );
    save(&b, "resident", "{\"offered\":[2]}", hour);
    assert_eq!(
        a.conversation("resident").unwrap().as_deref(),
        Some("{\"offered\":[2]}")
    );
    a.forget_conversation("resident").unwrap();
    assert_eq!(b.conversation("resident").unwrap(), None);
    save(&a, "idle", "{}", Duration::ZERO);
    assert_eq!(b.conversation("idle").unwrap(), None, "expired at once");
    // Several turns of one resident committed together: the last is kept.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    runtime.block_on(async {
        let turns: Vec<_> = (0..50)
            .map(|turn| {
                a.record_reply_with(
                    reply("住民票", &["住民票"], "answer"),
                    madoguchi::store::ConversationWrite {
                        key: format!("busy-{}", turn % 5),
                        state: turn.to_string(),
                        idle: hour,
                    },
                )
            })
            .collect();
        for turn in turns {
            turn.await.unwrap();
        }
    });
    for resident in 0..5 {
        let kept: i64 = b
            .conversation(&format!("busy-{resident}"))
            .unwrap()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(kept % 5, resident, "its own state");
        assert!(kept >= 45, "the last of its turns, not {kept}");
    }

    let session = StoredSession {
        user: "staff".into(),
        csrf: "token".into(),
    };
    a.start_session("s1", &session, hour).unwrap();
    assert_eq!(b.session("s1").unwrap(), Some(session.clone()));
    b.end_session("s1").unwrap();
    assert_eq!(a.session("s1").unwrap(), None);
    a.start_session("s2", &session, Duration::ZERO).unwrap();
    assert_eq!(b.session("s2").unwrap(), None);

    assert!(a.count_attempt("address:127.0.0.1", hour, 2).unwrap());
    assert!(b.count_attempt("address:127.0.0.1", hour, 2).unwrap());
    assert!(
        !a.count_attempt("address:127.0.0.1", hour, 2).unwrap(),
        "two counted, on either replica"
    );
    assert!(b.count_attempt("account:staff", hour, 2).unwrap());
    assert!(
        a.count_attempt("address:127.0.0.2", Duration::ZERO, 1)
            .unwrap()
    );
    assert!(
        a.count_attempt("address:127.0.0.2", hour, 1).unwrap(),
        "the first attempt's window is over"
    );

    assert_eq!(
        a.prune_expired().unwrap(),
        3,
        "the expired conversation, session and attempt"
    );
}

fn the_line_queue_answers_each_event_once_in_chat_order_on_any_replica(open: Open) {
    use madoguchi::store::queue::{Incoming, Queued};
    use std::time::Duration;
    let (a, b) = (open(), open());
    let hour = Duration::from_secs(3600);
    let alive = Duration::from_secs(5);
    let event = |id: &str, chat: &str| Incoming {
        event_id: Some(id.into()),
        chat: chat.into(),
        event: format!("{{\"id\":\"{id}\"}}"),
    };
    let ids = |claimed: &[madoguchi::store::queue::Claimed]| -> Vec<String> {
        claimed.iter().map(|c| c.event.clone()).collect()
    };

    let first = a
        .queue_events(
            &[
                event("e1", "alice"),
                event("e2", "alice"),
                event("e3", "bob"),
            ],
            hour,
            10,
        )
        .unwrap();
    assert_eq!(first, [Queued::Queued; 3]);
    // Redelivered to the other replica, with one new event.
    let again = b
        .queue_events(&[event("e1", "alice"), event("e4", "carol")], hour, 10)
        .unwrap();
    assert_eq!(again, [Queued::Duplicate, Queued::Queued]);
    assert_eq!(a.queued_events().unwrap(), 4);

    a.heartbeat("replica-a").unwrap();
    b.heartbeat("replica-b").unwrap();
    // Only the oldest event of each chat can be claimed.
    let by_a = a.claim_events("replica-a", 2, alive).unwrap();
    assert_eq!(ids(&by_a), ["{\"id\":\"e1\"}", "{\"id\":\"e3\"}"]);
    let by_b = b.claim_events("replica-b", 10, alive).unwrap();
    assert_eq!(
        ids(&by_b),
        ["{\"id\":\"e4\"}"],
        "alice's second waits for her first"
    );
    assert!(b.claim_events("replica-b", 10, alive).unwrap().is_empty());
    a.finish_events(&[by_a[0].id]).unwrap();
    let next = b.claim_events("replica-b", 10, alive).unwrap();
    assert_eq!(ids(&next), ["{\"id\":\"e2\"}"], "now alice's second");

    // A dies holding bob's event: once it is not heard from, B takes it.
    assert!(
        b.claim_events("replica-b", 10, Duration::from_secs(3600))
            .unwrap()
            .is_empty()
    );
    let lapsed = b.claim_events("replica-b", 10, Duration::ZERO).unwrap();
    assert!(
        ids(&lapsed).contains(&"{\"id\":\"e3\"}".to_string()),
        "{lapsed:?}"
    );

    // A clean stop hands claims back at once.
    assert_eq!(b.hand_back("replica-b").unwrap(), 3);
    let after = a.claim_events("replica-a", 10, alive).unwrap();
    assert_eq!(
        ids(&after),
        ["{\"id\":\"e2\"}", "{\"id\":\"e3\"}", "{\"id\":\"e4\"}"],
        "every event B held"
    );

    // Past the capacity events are refused, and a redelivery is taken.
    let full = a
        .queue_events(&[event("e5", "dave"), event("e6", "erin")], hour, 4)
        .unwrap();
    assert_eq!(full, [Queued::Queued, Queued::Full]);
    let ids: Vec<i64> = a
        .claim_events("replica-a", 10, alive)
        .unwrap()
        .iter()
        .chain(&after)
        .map(|claimed| claimed.id)
        .collect();
    a.finish_events(&ids).unwrap();
    assert_eq!(a.queued_events().unwrap(), 0);
    assert_eq!(
        b.queue_events(&[event("e6", "erin")], hour, 4).unwrap(),
        [Queued::Queued]
    );
}

#[test]
fn migrate_store_moves_a_sqlite_server_into_postgresql_verified_by_counts() {
    use madoguchi::store::content::{DraftStatus, Files, NewRevision};
    let Some(url) = common::postgres::database() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let key = {
        let store = Store::open(dir.path()).unwrap();
        let keys = madoguchi::store::pseudonym::Pseudonyms::of_store(&store, dir.path()).unwrap();
        for i in 0..2_500 {
            let id = record(&store, &format!("質問{i}"), &["質問"], "answer");
            if i % 10 == 0 {
                store.record_feedback(&id, i % 20 == 0).unwrap();
            }
        }
        store
            .mark_group("犬 登録", GroupStatus::Done, Some("pet"))
            .unwrap();
        let draft = store.create_draft("editor", "直す", None, None).unwrap();
        store
            .set_draft_file(draft, "a.yaml", Some("new\n"), Some("old\n"))
            .unwrap();
        let files: Files = [("a.yaml".to_string(), "new\n".to_string())].into();
        store
            .record_revision(&NewRevision {
                draft_id: Some(draft),
                author: "editor",
                approver: "approver",
                message: "直す",
                diff: "-old\n+new\n",
                before: &Files::new(),
                after: &files,
            })
            .unwrap();
        store.close_draft(draft, DraftStatus::Published).unwrap();
        store.audit("approver", "publish", "revision 1").unwrap();
        keys.of("line", "U123")
    };
    let migrate = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_madoguchi"))
            .args(["migrate-store", "--from"])
            .arg(format!("sqlite:{}", dir.path().display()))
            .args(["--to", &url])
            .output()
            .unwrap()
    };
    let moved = migrate();
    assert!(moved.status.success(), "{moved:?}");
    let report = String::from_utf8(moved.stdout).unwrap();
    assert!(
        report.contains("replies") && report.contains("2500 rows"),
        "{report}"
    );
    assert!(report.contains("verified by counts"), "{report}");

    let sqlite = Store::open(dir.path()).unwrap();
    let postgres = open_postgres(&url);
    assert_eq!(export(&postgres, 0), export(&sqlite, 0), "the same log");
    assert_eq!(postgres.summary(0).unwrap(), sqlite.summary(0).unwrap());
    assert_eq!(
        postgres.feedback_by_entry().unwrap(),
        sqlite.feedback_by_entry().unwrap()
    );
    assert_eq!(postgres.revisions().unwrap(), sqlite.revisions().unwrap());
    assert_eq!(postgres.audit_log(0).unwrap(), sqlite.audit_log(0).unwrap());
    assert_eq!(
        postgres.review_groups(0).unwrap()[..],
        sqlite.review_groups(0).unwrap()[..]
    );
    let keys = madoguchi::store::pseudonym::Pseudonyms::of_store(&postgres, dir.path()).unwrap();
    assert_eq!(
        keys.of("line", "U123"),
        key,
        "residents keep their pseudonyms"
    );
    let next = postgres.create_draft("editor", "次", None, None).unwrap();
    assert_eq!(next, 2, "new drafts are numbered on from the moved ones");

    let again = migrate();
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("new, empty database"), "{err}");
}

#[test]
fn postgresql_over_tls_is_verified_against_the_configured_ca() {
    let Some(url) = common::postgres::database() else {
        return;
    };
    let ca = common::postgres::ca_file();
    let tls_url = url.replace("sslmode=disable", "sslmode=require");
    let store = open_with(&tls_url, Some(&ca)).unwrap();
    assert!(store.summary(0).is_ok());
    assert!(
        common::postgres::encrypted_sessions(&url) >= 1,
        "the store's connection is encrypted"
    );
    // Without the city's CA the server's certificate is not trusted.
    let err = open_with(&tls_url, None)
        .err()
        .expect("an untrusted server")
        .to_string();
    assert!(
        err.contains("certificate") && err.contains("store.tls_ca_file"),
        "{err}"
    );
    let err = open_with(&tls_url, Some(std::path::Path::new("/nonexistent/ca.pem")))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("store.tls_ca_file") && err.contains("/nonexistent/ca.pem"),
        "{err}"
    );
}

fn a_message_taken_back_leaves_the_log(open: Open) {
    let store = &open();
    let mut taken_back = reply("犬の登録をしたい", &["犬", "登録"], "fallback");
    taken_back.source_message = Some("message-1".into());
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(store.record_reply(taken_back))
        .unwrap();
    record(store, "粗大ごみの出し方", &["粗大ごみ"], "fallback");
    assert_eq!(store.forget_message("message-2").unwrap(), 0);
    assert_eq!(store.forget_message("message-1").unwrap(), 1);
    let csv = export(store, 0);
    assert!(
        !csv.contains("犬の登録") && csv.contains("粗大ごみ"),
        "{csv}"
    );
    let groups = store.review_groups(0).unwrap();
    assert_eq!(groups.len(), 1, "nothing left of it to review: {groups:?}");
}

fn disaster_mode_is_shared_and_every_switch_is_audited(open: Open) {
    let (one, other) = (open(), open());
    assert_eq!(one.disaster_mode().unwrap(), None);
    let on = one
        .switch_disaster_mode(
            Some((
                "大雨のため避難指示が出ています",
                Some("https://example.org/bousai"),
            )),
            "bosai-kacho",
        )
        .unwrap()
        .expect("switched on");
    let seen = other
        .disaster_mode()
        .unwrap()
        .expect("on for every replica");
    assert_eq!(seen, on);
    assert_eq!(seen.switched_by, "bosai-kacho");
    // A new notice replaces the one in force.
    other
        .switch_disaster_mode(Some(("避難指示は解除されました", None)), "cli:root")
        .unwrap();
    assert_eq!(
        one.disaster_mode().unwrap().unwrap().notice,
        "避難指示は解除されました"
    );
    assert_eq!(one.switch_disaster_mode(None, "bosai-kacho").unwrap(), None);
    assert_eq!(other.disaster_mode().unwrap(), None);
    let audit: Vec<(String, String, String)> = one
        .audit_log(0)
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with("disaster_"))
        .map(|e| (e.actor, e.action, e.detail))
        .collect();
    assert_eq!(
        audit,
        [
            ("bosai-kacho".into(), "disaster_off".into(), String::new()),
            (
                "cli:root".into(),
                "disaster_on".into(),
                "避難指示は解除されました".into()
            ),
            (
                "bosai-kacho".into(),
                "disaster_on".into(),
                "大雨のため避難指示が出ています https://example.org/bousai".into()
            ),
        ]
    );
}

fn tickets_carry_a_handoff_from_waiting_to_closed(open: Open) {
    use madoguchi::store::handoff::{MessageKind, NewTicket, TicketState};
    let (one, other) = (open(), open());
    let new = NewTicket {
        channel: "line",
        resident: "resident-1",
        address: Some("sealed"),
        department: "shimin",
        left_message: false,
        context: "[]",
        lang: "en",
    };
    let id = one
        .open_ticket(&new, Some("電話は090-1234-5678です"))
        .unwrap();
    let ticket = other
        .active_ticket("resident-1")
        .unwrap()
        .expect("open on every replica");
    assert_eq!((ticket.id, ticket.state), (id, TicketState::Waiting));
    assert_eq!(ticket.lang, "en", "the resident's language is kept");
    assert_eq!(other.active_ticket("resident-2").unwrap(), None);
    let first = other.ticket_messages(id, 0).unwrap();
    assert_eq!(first.len(), 1);
    assert!(!first[0].text.contains("1234"), "masked: {}", first[0].text);

    assert!(other.take_ticket(id, "tanaka").unwrap());
    let reply = one
        .add_ticket_message(id, "tanaka", MessageKind::Staff, "担当の田中です。")
        .unwrap()
        .expect("added");
    one.add_ticket_message(id, "tanaka", MessageKind::Note, "内部メモ")
        .unwrap();
    let after_first = other.ticket_messages(id, first[0].id).unwrap();
    assert_eq!(after_first.len(), 2);
    assert_eq!(after_first[0].id, reply);
    let taken = one.ticket(id).unwrap().unwrap();
    assert_eq!(taken.state, TicketState::Open);
    assert_eq!(taken.assignee.as_deref(), Some("tanaka"));
    assert!(taken.first_reply_at.is_some());

    assert!(other.transfer_ticket(id, "zeimu").unwrap());
    let moved = one.ticket(id).unwrap().unwrap();
    assert_eq!(
        (moved.department.as_str(), moved.state),
        ("zeimu", TicketState::Waiting)
    );
    assert!(one.close_ticket(id, "staff", Some("conveni-what")).unwrap());
    assert!(
        !other.close_ticket(id, "resident", None).unwrap(),
        "closed once"
    );
    assert_eq!(
        one.add_ticket_message(id, "", MessageKind::Resident, "まだ")
            .unwrap(),
        None
    );
    assert_eq!(other.active_ticket("resident-1").unwrap(), None);
    let closed = other.latest_ticket("resident-1").unwrap().unwrap();
    assert_eq!(closed.close_reason.as_deref(), Some("staff"));
    assert_eq!(closed.answer_entry.as_deref(), Some("conveni-what"));

    // Idle tickets time out, except messages left outside office hours.
    let idle = one
        .open_ticket(
            &NewTicket {
                resident: "resident-3",
                ..new.clone()
            },
            None,
        )
        .unwrap();
    let left = one
        .open_ticket(
            &NewTicket {
                resident: "resident-4",
                left_message: true,
                ..new.clone()
            },
            None,
        )
        .unwrap();
    let expired = other.expire_tickets(i64::MAX).unwrap();
    assert_eq!(expired.iter().map(|t| t.id).collect::<Vec<_>>(), [idle]);
    assert!(
        one.expire_tickets(i64::MAX).unwrap().is_empty(),
        "expired once"
    );
    assert_eq!(
        one.ticket(left).unwrap().unwrap().state,
        TicketState::Waiting
    );

    let summary = one.handoff_summary(0).unwrap();
    let zeimu = summary
        .departments
        .iter()
        .find(|d| d.department == "zeimu")
        .unwrap();
    assert_eq!((zeimu.tickets, zeimu.closed, zeimu.resolved), (1, 1, 1));
    let shimin = summary
        .departments
        .iter()
        .find(|d| d.department == "shimin")
        .unwrap();
    assert_eq!((shimin.tickets, shimin.closed, shimin.resolved), (2, 1, 0));
    assert_eq!(summary.per_day.iter().map(|(_, n)| n).sum::<i64>(), 3);
}

fn staff_notices_are_claimed_once_and_retried(open: Open) {
    use madoguchi::store::handoff::NewTicket;
    let (one, other) = (open(), open());
    let ticket = one
        .open_ticket(
            &NewTicket {
                channel: "web",
                resident: "r",
                address: None,
                department: "shimin",
                left_message: false,
                context: "[]",
                lang: "ja",
            },
            None,
        )
        .unwrap();
    one.queue_staff_notice(ticket, "http://127.0.0.1:9/hook", "{}")
        .unwrap();
    let claimed = one.claim_staff_notice(60_000).unwrap().expect("due");
    assert_eq!(
        (claimed.url.as_str(), claimed.attempts),
        ("http://127.0.0.1:9/hook", 0)
    );
    assert_eq!(
        other.claim_staff_notice(60_000).unwrap(),
        None,
        "leased to one"
    );
    other.staff_notice_done(claimed.id, false, Some(0)).unwrap();
    let again = other
        .claim_staff_notice(60_000)
        .unwrap()
        .expect("due again");
    assert_eq!(again.attempts, 1);
    one.staff_notice_done(again.id, true, None).unwrap();
    assert_eq!(one.claim_staff_notice(60_000).unwrap(), None);
    let summary = other.handoff_summary(0).unwrap();
    assert_eq!(
        (
            summary.notices_sent,
            summary.notices_failed,
            summary.notices_pending
        ),
        (1, 0, 0)
    );
}
