//! Staff change content in the browser: entries edited through a form (or
//! a file's YAML directly) go into a draft; the draft page shows its diff,
//! its errors, the results of `tests/` and the replay of the questions
//! residents asked; an approver publishes it as a revision, and any
//! revision can be restored through a draft of its own. Every step is in
//! the audit log.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::content_pages::{self as pages, EntryForm};
use super::{AdminState, CsrfForm, csv, html, internal, on_store, see_other, unix_now};
use crate::authoring::replay::replay;
use crate::authoring::topic_edit::{self, FieldValue};
use crate::authoring::workspace::{Changes, Checked, Workspace, diff, valid_path};
use crate::config::{AdminUser, Role};
use crate::faq::model::TopicFile;
use crate::store::content::{Draft, DraftStatus, Files, NewRevision, audit_csv};
use crate::store::log::GroupStatus;

/// Days of logged questions the draft page replays unless told otherwise.
const REPLAY_DAYS: i64 = 30;
/// Largest content form staff may send: a whole topic file, which is far
/// larger than a resident's chat request.
const STAFF_FORM_BYTES: usize = 2 * 1024 * 1024;
/// Files that hold no entries.
const NOT_TOPICS: [&str; 3] = ["procedures.yaml", "departments.yaml", "rules.yaml"];

/// Registers the content routes under `/admin`.
pub fn configure(scope: actix_web::Scope) -> actix_web::Scope {
    scope
        .route("/content", web::get().to(content_list))
        .service(
            web::resource("/content/entry")
                .app_data(web::PayloadConfig::new(STAFF_FORM_BYTES))
                .route(web::post().to(save_entry)),
        )
        .route("/content/new", web::get().to(new_entry))
        .route("/content/entry/{id}", web::get().to(edit_entry))
        .route("/content/entry/{id}/delete", web::get().to(confirm_delete))
        .route("/content/entry/{id}/delete", web::post().to(delete_entry))
        .route("/content/flows", web::get().to(flows))
        .service(
            web::resource("/content/file")
                .app_data(web::FormConfig::default().limit(STAFF_FORM_BYTES))
                .route(web::get().to(file_form))
                .route(web::post().to(save_file)),
        )
        .route("/drafts", web::get().to(drafts))
        .route("/drafts/{id}", web::get().to(draft_page))
        .route("/drafts/{id}/publish", web::post().to(publish))
        .route("/drafts/{id}/discard", web::post().to(discard))
        .route("/revisions", web::get().to(revisions))
        .route("/revisions/{id}/restore", web::post().to(restore))
        .route("/audit", web::get().to(audit))
        .route("/export/audit.csv", web::get().to(export_audit))
        .route("/unanswered/phrasing", web::post().to(add_phrasing))
}

fn refused(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(ContentType::plaintext())
        .body(message.to_string())
}

/// A form body with repeated keys (a multiple select) kept.
struct FormFields(Vec<(String, String)>);

impl FormFields {
    fn parse(body: &[u8]) -> FormFields {
        FormFields(
            url::form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    fn get(&self, key: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }

    fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == key && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }
}

impl AdminState {
    fn workspace(&self) -> &Workspace {
        &self.workspace
    }

    /// The content files with the draft's changes, if any.
    fn files_with(&self, draft: Option<&Draft>) -> Result<Files, Box<HttpResponse>> {
        let files = self.workspace.files().map_err(|e| Box::new(internal(e)))?;
        Ok(match draft {
            Some(draft) => Workspace::apply(&files, &draft.files),
            None => files,
        })
    }

    /// The signed-in member of staff; one no longer configured may only
    /// draft.
    pub(super) fn member(&self, name: &str) -> AdminUser {
        self.users.get(name).cloned().unwrap_or_else(|| AdminUser {
            name: name.to_string(),
            role: Role::Editor,
            departments: vec![String::new()],
            ..AdminUser::default()
        })
    }
}

/// Topic files and their entries, parsed from `files`.
fn topics(files: &Files) -> Vec<(String, TopicFile)> {
    files
        .iter()
        .filter(|(path, _)| !path.contains('/') && !NOT_TOPICS.contains(&path.as_str()))
        .filter_map(|(path, text)| {
            Some((path.clone(), serde_yaml::from_str::<TopicFile>(text).ok()?))
        })
        .collect()
}

/// The department a topic file gives its entries.
fn file_department(files: &Files, path: &str) -> Option<String> {
    files
        .get(path)
        .and_then(|text| serde_yaml::from_str::<TopicFile>(text).ok())
        .and_then(|topic| topic.department)
}

/// The department answering for `entry`, written in `path`: its own, or
/// its file's.
fn owner(files: &Files, path: &str, entry: &crate::faq::Entry) -> Option<String> {
    entry
        .department
        .clone()
        .or_else(|| file_department(files, path))
}

fn find_entry(files: &Files, id: &str) -> Option<(String, crate::faq::Entry)> {
    topics(files).into_iter().find_map(|(path, topic)| {
        topic
            .entries
            .into_iter()
            .find(|e| e.id == id)
            .map(|entry| (path, entry))
    })
}

async fn load_draft(state: &AdminState, id: i64) -> Result<Draft, Box<HttpResponse>> {
    match on_store(state, move |store| store.draft(id)).await? {
        Some(draft) => Ok(draft),
        None => Err(Box::new(refused(
            StatusCode::NOT_FOUND,
            "その下書きはありません。",
        ))),
    }
}

/// The draft a form names, or a new one by `author`.
async fn draft_for(
    state: &AdminState,
    given: &str,
    author: &str,
    title: String,
    group: Option<String>,
    entry: Option<String>,
) -> Result<Draft, Box<HttpResponse>> {
    if let Ok(id) = given.parse::<i64>() {
        let draft = load_draft(state, id).await?;
        if draft.status != DraftStatus::Open {
            return Err(Box::new(refused(
                StatusCode::CONFLICT,
                "その下書きはもう公開か破棄されています。",
            )));
        }
        return Ok(draft);
    }
    let author = author.to_string();
    let id = on_store(state, move |store| {
        store.create_draft(&author, &title, group.as_deref(), entry.as_deref())
    })
    .await?;
    load_draft(state, id).await
}

/// The form field a `check` error is about, by what it names.
fn field_of(error: &str) -> &'static str {
    [
        ("procedure", "procedures"),
        ("department", "department"),
        ("related", "related"),
        ("valid_", "valid_until"),
        ("answer", "answer"),
        ("question", "question"),
    ]
    .into_iter()
    .find(|(word, _)| error.contains(word))
    .map_or("id", |(_, field)| field)
}

/// Said to an editor who tries to change another department's entries.
const NOT_YOURS: &str = "あなたの課の回答だけを編集できます。";

/// Whether `member` may change entries of `department`: editors bound to
/// departments only theirs (and no whole files), everyone else all.
fn may_edit(member: &AdminUser, department: Option<&String>) -> bool {
    member.role != Role::Editor
        || member.departments.is_empty()
        || department.is_some_and(|d| member.departments.contains(d))
}

/// Puts a file's new text into a draft, records it in the audit log, and
/// sends the browser to the draft.
async fn write_to_draft(
    state: &AdminState,
    draft_id: i64,
    user: &str,
    path: String,
    text: String,
    action: &'static str,
    detail: String,
) -> HttpResponse {
    let user = user.to_string();
    let base = std::fs::read_to_string(state.workspace().faq_dir.join(&path)).ok();
    or_respond!(
        on_store(state, move |store| {
            store.set_draft_file(draft_id, &path, Some(&text), base.as_deref())?;
            store.audit(&user, action, &format!("draft {draft_id}: {detail}"))
        })
        .await
    );
    see_other(&format!("/admin/drafts/{draft_id}"))
}

/// The draft's files that were published over since it changed them, as
/// errors: publishing would undo that change.
fn conflict_errors(draft: &Draft, published: &Files) -> Vec<String> {
    draft
        .conflicts(published)
        .into_iter()
        .map(|path| {
            format!("faq/{path}: この下書きを作った後に、別の公開でこのファイルが変わりました。公開すると、その変更が消えます。この下書きを破棄して、今の内容から作り直してください。")
        })
        .collect()
}

/// Loads and tests `files` on the blocking pool.
async fn check_files(state: &AdminState, files: Files) -> Result<Checked, Box<HttpResponse>> {
    let workspace = state.workspace().clone();
    match web::block(move || workspace.check(&files)).await {
        Ok(Ok(checked)) => Ok(checked),
        Ok(Err(err)) => Err(Box::new(internal(err))),
        Err(err) => Err(Box::new(internal(err))),
    }
}

async fn content_list(
    state: web::Data<AdminState>,
    request: HttpRequest,
    query: web::Query<BTreeMap<String, String>>,
) -> HttpResponse {
    let (_, session) = or_respond!(state.require(&request).await);
    let engine = state.engine.get();
    let content = engine.content();
    let needle = query
        .get("q")
        .map(|q| q.trim().to_string())
        .unwrap_or_default();
    let category = query.get("category").cloned().unwrap_or_default();
    let department = query.get("department").cloned().unwrap_or_default();
    let entries: Vec<_> = content
        .entries
        .iter()
        .filter(|e| category.is_empty() || e.category.as_deref() == Some(category.as_str()))
        .filter(|e| department.is_empty() || e.department.as_deref() == Some(department.as_str()))
        .filter(|e| {
            needle.is_empty()
                || e.id.contains(&needle)
                || e.question.contains(&needle)
                || e.answer.contains(&needle)
                || e.phrasings.iter().any(|p| p.contains(&needle))
        })
        .collect();
    html(
        StatusCode::OK,
        pages::content_list(
            &session.csrf,
            content,
            &entries,
            &needle,
            &category,
            &department,
        ),
    )
}

#[derive(Deserialize)]
struct EntryQuery {
    draft: Option<String>,
    group: Option<String>,
}

async fn edit_entry(
    state: web::Data<AdminState>,
    request: HttpRequest,
    id: web::Path<String>,
    query: web::Query<EntryQuery>,
) -> HttpResponse {
    let (_, session) = or_respond!(state.require(&request).await);
    let draft = match query.draft.as_deref().and_then(|d| d.parse().ok()) {
        Some(id) => Some(or_respond!(load_draft(&state, id).await)),
        None => None,
    };
    let files = or_respond!(state.files_with(draft.as_ref()));
    let Some((path, entry)) = find_entry(&files, &id) else {
        return refused(StatusCode::NOT_FOUND, "その回答はありません。");
    };
    let department = file_department(&files, &path).unwrap_or_default();
    let form = EntryForm::from_entry(&entry, &path, &department, draft.as_ref().map(|d| d.id));
    html(
        StatusCode::OK,
        pages::entry_form(
            &session.csrf,
            state.engine.get().content(),
            &topics(&files),
            &form,
            &[],
        ),
    )
}

async fn new_entry(
    state: web::Data<AdminState>,
    request: HttpRequest,
    query: web::Query<EntryQuery>,
) -> HttpResponse {
    let (_, session) = or_respond!(state.require(&request).await);
    let files = or_respond!(state.files_with(None));
    let mut form = EntryForm::default();
    if let Some(key) = query.group.clone() {
        let examples = or_respond!(group_wordings(&state, &key).await);
        form.question = examples.first().cloned().unwrap_or_default();
        form.phrasings = examples
            .iter()
            .skip(1)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n");
        form.group = Some(key);
    }
    html(
        StatusCode::OK,
        pages::entry_form(
            &session.csrf,
            state.engine.get().content(),
            &topics(&files),
            &form,
            &[],
        ),
    )
}

/// The wordings of an unanswered group that may become phrasings: none
/// with a mask label (［電話番号］…).
async fn group_wordings(state: &AdminState, key: &str) -> Result<Vec<String>, Box<HttpResponse>> {
    let since = unix_now() - super::REVIEW_DAYS * 86_400;
    let groups = on_store(state, move |store| store.review_groups(since)).await?;
    let Some(group) = groups.into_iter().find(|g| g.key == key) else {
        return Err(Box::new(refused(
            StatusCode::NOT_FOUND,
            "そのまとまりは見つかりません。",
        )));
    };
    Ok(group
        .examples
        .into_iter()
        .filter(|e| !e.contains('［') && !e.trim().is_empty())
        .collect())
}

async fn save_entry(
    state: web::Data<AdminState>,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let fields = FormFields::parse(&body);
    let (_, session) = or_respond!(state.require_form(&request, fields.get("csrf")).await);
    let member = state.member(&session.user);
    let form = EntryForm {
        original_id: fields.get("original_id").to_string(),
        id: fields.get("id").trim().to_string(),
        file: fields.get("file").to_string(),
        question: fields.get("question").trim().to_string(),
        phrasings: fields.get("phrasings").to_string(),
        keywords: fields.get("keywords").to_string(),
        answer: fields
            .get("answer")
            .replace("\r\n", "\n")
            .trim_end()
            .to_string(),
        department: fields.get("department").to_string(),
        procedures: fields.all("procedures"),
        related: fields.get("related").to_string(),
        valid_from: fields.get("valid_from").trim().to_string(),
        valid_until: fields.get("valid_until").trim().to_string(),
        reviewed: fields.get("reviewed").trim().to_string(),
        draft: fields.get("draft").parse().ok(),
        group: Some(fields.get("group").to_string()).filter(|g| !g.is_empty()),
    };
    let content = state.engine.get();
    let mut problems = form.problems();
    if !may_edit(&member, Some(&form.department)) {
        problems.push(("department", NOT_YOURS.to_string()));
    }
    let given_draft = fields.get("draft").to_string();
    let existing = match given_draft.parse::<i64>() {
        Ok(id) => Some(or_respond!(load_draft(&state, id).await)),
        Err(_) => None,
    };
    let files = or_respond!(state.files_with(existing.as_ref()));
    let path = if form.original_id.is_empty() {
        form.file.clone()
    } else {
        match find_entry(&files, &form.original_id) {
            Some((path, entry)) => {
                // Nor may an editor take another department's entry over.
                if !may_edit(&member, owner(&files, &path, &entry).as_ref()) {
                    return refused(StatusCode::FORBIDDEN, NOT_YOURS);
                }
                path
            }
            None => return refused(StatusCode::NOT_FOUND, "その回答はありません。"),
        }
    };
    if !valid_path(&path) || !files.contains_key(&path) {
        problems.push(("file", "書き込むファイルを選んでください。".to_string()));
    }
    if form.original_id != form.id && find_entry(&files, &form.id).is_some() {
        problems.push(("id", format!("ID「{}」はもう使われています。", form.id)));
    }
    if !problems.is_empty() {
        return html(
            StatusCode::UNPROCESSABLE_ENTITY,
            pages::entry_form(
                &session.csrf,
                content.content(),
                &topics(&files),
                &form,
                &problems,
            ),
        );
    }
    let text = &files[&path];
    let values = form.values(file_department(&files, &path).as_deref());
    let edited = if form.original_id.is_empty() {
        topic_edit::append_entry(text, &values)
    } else {
        values
            .iter()
            .try_fold(text.clone(), |text, (field, value)| {
                topic_edit::set_field(&text, &form.original_id, field, value)
            })
    };
    let problems: Vec<(&'static str, String)> = match edited {
        Err(ref err) => vec![("answer", err.to_string())],
        Ok(ref edited) => {
            // The same checks as `madoguchi check`, on the content as it
            // would be: this file's errors go next to their fields.
            let mut changed = files.clone();
            changed.insert(path.clone(), edited.clone());
            let checked = or_respond!(check_files(&state, changed).await);
            checked
                .errors
                .iter()
                .filter(|e| e.starts_with(&format!("faq/{path}:")))
                .map(|e| (field_of(e), e.clone()))
                .collect()
        }
    };
    let edited = match edited {
        Ok(edited) if problems.is_empty() => edited,
        _ => {
            return html(
                StatusCode::UNPROCESSABLE_ENTITY,
                pages::entry_form(
                    &session.csrf,
                    content.content(),
                    &topics(&files),
                    &form,
                    &problems,
                ),
            );
        }
    };
    let title = if form.original_id.is_empty() {
        format!("新しい回答「{}」", form.question)
    } else {
        format!("「{}」の編集", form.question)
    };
    let draft = or_respond!(
        draft_for(
            &state,
            &given_draft,
            &session.user,
            title,
            form.group.clone(),
            Some(form.id.clone())
        )
        .await
    );
    let detail = format!("entry {} in {path}", form.id);
    write_to_draft(
        &state,
        draft.id,
        &session.user,
        path,
        edited,
        "draft.edit",
        detail,
    )
    .await
}

async fn confirm_delete(
    state: web::Data<AdminState>,
    request: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    let (_, session) = or_respond!(state.require(&request).await);
    let engine = state.engine.get();
    let content = engine.content();
    let Some(entry) = content.entry(&id) else {
        return refused(StatusCode::NOT_FOUND, "その回答はありません。");
    };
    let mut references: Vec<String> = content
        .entries
        .iter()
        .filter(|e| e.related.contains(&entry.id))
        .map(|e| format!("回答「{}」（{}）の関連する質問", e.question, e.id))
        .collect();
    for flow in &content.flows {
        for step in &flow.steps {
            for choice in &step.choices {
                if matches!(choice.target(), Some(crate::faq::Target::Answer(target)) if target == entry.id)
                {
                    references.push(format!(
                        "案内「{}」の「{}」のボタン「{}」",
                        flow.title, step.id, choice.label
                    ));
                }
            }
        }
    }
    html(
        StatusCode::OK,
        pages::confirm_delete(&session.csrf, entry, &references),
    )
}

async fn delete_entry(
    state: web::Data<AdminState>,
    request: HttpRequest,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let (_, session) = or_respond!(state.require_form(&request, &form.csrf).await);
    let files = or_respond!(state.files_with(None));
    let Some((path, entry)) = find_entry(&files, &id) else {
        return refused(StatusCode::NOT_FOUND, "その回答はありません。");
    };
    if !may_edit(
        &state.member(&session.user),
        owner(&files, &path, &entry).as_ref(),
    ) {
        return refused(StatusCode::FORBIDDEN, NOT_YOURS);
    }
    let edited = match topic_edit::remove_entry(&files[&path], &id) {
        Ok(edited) => edited,
        Err(err) => return refused(StatusCode::UNPROCESSABLE_ENTITY, &err.to_string()),
    };
    let draft = or_respond!(
        draft_for(
            &state,
            "",
            &session.user,
            format!("回答「{}」の削除", entry.question),
            None,
            None
        )
        .await
    );
    let id = id.into_inner();
    let detail = format!("entry {id} from {path}");
    write_to_draft(
        &state,
        draft.id,
        &session.user,
        path,
        edited,
        "draft.delete",
        detail,
    )
    .await
}

async fn flows(state: web::Data<AdminState>, request: HttpRequest) -> HttpResponse {
    let (_, session) = or_respond!(state.require(&request).await);
    html(
        StatusCode::OK,
        pages::flows(&session.csrf, state.engine.get().content()),
    )
}

#[derive(Deserialize)]
struct FileQuery {
    path: String,
    draft: Option<String>,
}

async fn file_form(
    state: web::Data<AdminState>,
    request: HttpRequest,
    query: web::Query<FileQuery>,
) -> HttpResponse {
    let (_, session) = or_respond!(state.require(&request).await);
    let draft = match query.draft.as_deref().and_then(|d| d.parse().ok()) {
        Some(id) => Some(or_respond!(load_draft(&state, id).await)),
        None => None,
    };
    let files = or_respond!(state.files_with(draft.as_ref()));
    let Some(text) = files.get(&query.path).filter(|_| valid_path(&query.path)) else {
        return refused(StatusCode::NOT_FOUND, "そのファイルはありません。");
    };
    html(
        StatusCode::OK,
        pages::file_form(&session.csrf, &query.path, text, draft.map(|d| d.id)),
    )
}

#[derive(Deserialize)]
struct FileForm {
    csrf: String,
    path: String,
    text: String,
    #[serde(default)]
    draft: String,
}

async fn save_file(
    state: web::Data<AdminState>,
    request: HttpRequest,
    form: web::Form<FileForm>,
) -> HttpResponse {
    let (_, session) = or_respond!(state.require_form(&request, &form.csrf).await);
    if !may_edit(&state.member(&session.user), None) {
        return refused(StatusCode::FORBIDDEN, NOT_YOURS);
    }
    let files = or_respond!(state.files_with(None));
    if !valid_path(&form.path) || !files.contains_key(&form.path) {
        return refused(StatusCode::BAD_REQUEST, "そのファイルはありません。");
    }
    let draft = or_respond!(
        draft_for(
            &state,
            &form.draft,
            &session.user,
            format!("{} の編集", form.path),
            None,
            None
        )
        .await
    );
    let text = form.text.replace("\r\n", "\n");
    let detail = form.path.clone();
    write_to_draft(
        &state,
        draft.id,
        &session.user,
        form.path.clone(),
        text,
        "draft.file",
        detail,
    )
    .await
}

async fn drafts(state: web::Data<AdminState>, request: HttpRequest) -> HttpResponse {
    let (_, session) = or_respond!(state.require(&request).await);
    let open = or_respond!(on_store(&state, |store| store.drafts(DraftStatus::Open)).await);
    html(StatusCode::OK, pages::drafts(&session.csrf, &open))
}

#[derive(Deserialize)]
struct DraftQuery {
    days: Option<i64>,
}

async fn draft_page(
    state: web::Data<AdminState>,
    request: HttpRequest,
    id: web::Path<i64>,
    query: web::Query<DraftQuery>,
) -> HttpResponse {
    let (_, session) = or_respond!(state.require(&request).await);
    let draft = or_respond!(load_draft(&state, *id).await);
    let current = or_respond!(state.files_with(None));
    let after = Workspace::apply(&current, &draft.files);
    let mut checked = or_respond!(check_files(&state, after.clone()).await);
    checked.errors.extend(conflict_errors(&draft, &current));
    let days = query.days.unwrap_or(REPLAY_DAYS).clamp(1, 365);
    let since = unix_now() - days * 86_400;
    let asked = or_respond!(on_store(&state, move |store| store.asked_questions(since)).await);
    // Hundreds of questions asked twice: on the blocking pool.
    let current_engine = state.engine.get();
    let replayed = web::block(move || {
        let changes = match &checked.engine {
            Some(engine) => replay(&current_engine, engine, &asked),
            None => Ok(Vec::new()),
        };
        (checked, asked.len(), changes)
    })
    .await;
    let (checked, asked, changes) = match replayed {
        Ok((checked, asked, Ok(changes))) => (checked, asked, changes),
        Ok((_, _, Err(err))) => return internal(err),
        Err(err) => return internal(err),
    };
    let member = state.member(&session.user);
    let publish = may_publish(&state, &member, &draft, &checked.errors);
    html(
        StatusCode::OK,
        pages::draft(pages::DraftView {
            csrf: &session.csrf,
            draft: &draft,
            diff: &diff(&current, &after),
            checked: &checked,
            changes: &changes,
            asked,
            days,
            publish,
        }),
    )
}

/// Whether `member` may publish `draft`, or why not.
fn may_publish(
    state: &AdminState,
    member: &AdminUser,
    draft: &Draft,
    errors: &[String],
) -> Result<(), String> {
    if draft.status != DraftStatus::Open {
        return Err("この下書きはもう公開か破棄されています。".into());
    }
    if !member.role.approves() {
        return Err("公開は承認者が行います。承認者に確認を依頼してください。".into());
    }
    if state.require_second_approver && member.name == draft.author && draft.restores.is_none() {
        return Err(
            "自分で作った下書きは公開できません。別の承認者が確認して公開します（二重チェック）。"
                .into(),
        );
    }
    if !errors.is_empty() {
        return Err("エラーがあるため公開できません。下のエラーを直してください。".into());
    }
    if draft.files.is_empty() {
        return Err("変更がありません。".into());
    }
    Ok(())
}

async fn publish(
    state: web::Data<AdminState>,
    request: HttpRequest,
    id: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let (_, session) = or_respond!(state.require_form(&request, &form.csrf).await);
    let _one_at_a_time = state.publishing.lock().await;
    if let Some(follower) = state.follower.clone() {
        // What another replica published is the base of this publish.
        match web::block(move || follower.catch_up()).await {
            Ok(Ok(_)) => {}
            Ok(Err(err)) => return internal(err),
            Err(err) => return internal(err),
        }
    }
    let draft = or_respond!(load_draft(&state, *id).await);
    let before = or_respond!(state.files_with(None));
    let after = Workspace::apply(&before, &draft.files);
    let mut checked = or_respond!(check_files(&state, after.clone()).await);
    checked.errors.extend(conflict_errors(&draft, &before));
    let member = state.member(&session.user);
    if let Err(why) = may_publish(&state, &member, &draft, &checked.errors) {
        return refused(StatusCode::FORBIDDEN, &why);
    }
    let changes: Changes = Workspace::changes(&before, &after);
    if let Err(err) = state.workspace().write(&changes) {
        return internal(err);
    }
    let shown_diff = diff(&before, &after);
    let approver = session.user.clone();
    let (group, entry) = (draft.group_key.clone(), draft.entry_id.clone());
    let revision = or_respond!(
        on_store(&state, move |store| {
            let revision = store.record_revision(&NewRevision {
                draft_id: Some(draft.id),
                author: &draft.author,
                approver: &approver,
                message: &draft.title,
                diff: &shown_diff,
                before: &before,
                after: &after,
            })?;
            store.close_draft(draft.id, DraftStatus::Published)?;
            if let (Some(key), Some(entry)) = (&group, &entry) {
                store.mark_group(key, GroupStatus::Done, Some(entry))?;
            }
            store.audit(
                &approver,
                "publish",
                &format!(
                    "revision {revision} from draft {} by {}: {}",
                    draft.id, draft.author, draft.title
                ),
            )?;
            Ok(revision)
        })
        .await
    );
    let reloader = state.reloader.clone();
    match web::block(move || reloader.reload()).await {
        Ok(status) if status.errors.is_empty() => {
            see_other(&format!("/admin/revisions?published={revision}"))
        }
        Ok(_) => see_other("/admin?done=reload-failed"),
        Err(err) => internal(err),
    }
}

async fn discard(
    state: web::Data<AdminState>,
    request: HttpRequest,
    id: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let (_, session) = or_respond!(state.require_form(&request, &form.csrf).await);
    let draft = or_respond!(load_draft(&state, *id).await);
    let member = state.member(&session.user);
    if draft.author != member.name && member.role != Role::Admin {
        return refused(StatusCode::FORBIDDEN, "自分の下書きだけを破棄できます。");
    }
    let user = session.user.clone();
    or_respond!(
        on_store(&state, move |store| {
            store.close_draft(draft.id, DraftStatus::Discarded)?;
            store.audit(
                &user,
                "draft.discard",
                &format!("draft {}: {}", draft.id, draft.title),
            )
        })
        .await
    );
    see_other("/admin/drafts")
}

#[derive(Deserialize)]
struct RevisionsQuery {
    published: Option<i64>,
}

async fn revisions(
    state: web::Data<AdminState>,
    request: HttpRequest,
    query: web::Query<RevisionsQuery>,
) -> HttpResponse {
    let (_, session) = or_respond!(state.require(&request).await);
    let all = or_respond!(on_store(&state, |store| store.revisions()).await);
    html(
        StatusCode::OK,
        pages::revisions(&session.csrf, &all, query.published),
    )
}

#[derive(Deserialize)]
struct RestoreForm {
    csrf: String,
    /// `before`: the content as it was before the revision; `after`: as it
    /// was right after it.
    to: String,
}

async fn restore(
    state: web::Data<AdminState>,
    request: HttpRequest,
    id: web::Path<i64>,
    form: web::Form<RestoreForm>,
) -> HttpResponse {
    let (_, session) = or_respond!(state.require_form(&request, &form.csrf).await);
    if !state.member(&session.user).role.approves() {
        return refused(StatusCode::FORBIDDEN, "版を戻せるのは承認者です。");
    }
    let number = *id;
    let Some(revision) = or_respond!(on_store(&state, move |store| store.revision(number)).await)
    else {
        return refused(StatusCode::NOT_FOUND, "その版はありません。");
    };
    let (target, title) = match form.to.as_str() {
        "before" => (&revision.before, format!("版{}の公開前に戻す", revision.id)),
        _ => (&revision.after, format!("版{}に戻す", revision.id)),
    };
    let current = or_respond!(state.files_with(None));
    let changes = Workspace::changes(&current, target);
    let user = session.user.clone();
    let draft_id = or_respond!(
        on_store(&state, move |store| {
            let draft = store.create_restoring_draft(&user, &title, number, &changes, &current)?;
            store.audit(&user, "draft.restore", &format!("draft {draft}: {title}"))?;
            Ok(draft)
        })
        .await
    );
    see_other(&format!("/admin/drafts/{draft_id}"))
}

/// The audit log is for admins.
fn require_admin(state: &AdminState, user: &str) -> Result<(), Box<HttpResponse>> {
    if state.member(user).role == Role::Admin {
        Ok(())
    } else {
        Err(Box::new(refused(
            StatusCode::FORBIDDEN,
            "操作記録は管理者だけが見られます。",
        )))
    }
}

async fn audit(state: web::Data<AdminState>, request: HttpRequest) -> HttpResponse {
    let (_, session) = or_respond!(state.require(&request).await);
    or_respond!(require_admin(&state, &session.user));
    let since = unix_now() - 365 * 86_400;
    let entries = or_respond!(on_store(&state, move |store| store.audit_log(since)).await);
    html(StatusCode::OK, pages::audit(&session.csrf, &entries))
}

async fn export_audit(state: web::Data<AdminState>, request: HttpRequest) -> HttpResponse {
    let (_, session) = or_respond!(state.require(&request).await);
    or_respond!(require_admin(&state, &session.user));
    let body = or_respond!(
        on_store(&state, |store| {
            let entries = store.audit_log(0)?;
            let mut out = Vec::new();
            audit_csv(&entries, &mut out).map(|_| out)
        })
        .await
    );
    csv("madoguchi-audit.csv", body)
}

#[derive(Deserialize)]
struct PhrasingForm {
    csrf: String,
    key: String,
    entry_id: String,
}

/// 「既存の回答に言い方を追加」: the group's wordings become phrasings of the
/// entry, in a draft that marks the group done when published.
async fn add_phrasing(
    state: web::Data<AdminState>,
    request: HttpRequest,
    form: web::Form<PhrasingForm>,
) -> HttpResponse {
    let (_, session) = or_respond!(state.require_form(&request, &form.csrf).await);
    let wordings = or_respond!(group_wordings(&state, &form.key).await);
    let files = or_respond!(state.files_with(None));
    let entry_id = form.entry_id.trim().to_string();
    let Some((path, entry)) = find_entry(&files, &entry_id) else {
        return refused(
            StatusCode::BAD_REQUEST,
            &format!("回答ID「{entry_id}」は見つかりません。"),
        );
    };
    if !may_edit(
        &state.member(&session.user),
        owner(&files, &path, &entry).as_ref(),
    ) {
        return refused(StatusCode::FORBIDDEN, NOT_YOURS);
    }
    let mut phrasings = entry.phrasings.clone();
    for wording in wordings {
        if wording != entry.question && !phrasings.contains(&wording) {
            phrasings.push(wording);
        }
    }
    let edited = match topic_edit::set_field(
        &files[&path],
        &entry_id,
        "phrasings",
        &FieldValue::List(phrasings),
    ) {
        Ok(edited) => edited,
        Err(err) => return refused(StatusCode::UNPROCESSABLE_ENTITY, &err.to_string()),
    };
    let title = format!("「{}」の言い方を回答「{}」に追加", form.key, entry.question);
    let draft = or_respond!(
        draft_for(
            &state,
            "",
            &session.user,
            title,
            Some(form.key.clone()),
            Some(entry_id.clone())
        )
        .await
    );
    let detail = format!("entry {entry_id} in {path}");
    write_to_draft(
        &state,
        draft.id,
        &session.user,
        path,
        edited,
        "draft.phrasing",
        detail,
    )
    .await
}

/// The engine's best entries for a group's wordings, for the unanswered
/// page's suggestions.
pub fn suggestions(engine: &crate::engine::Engine, examples: &[String]) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = Vec::new();
    for example in examples {
        if let Ok((_, explanation)) = engine.ask(example) {
            for candidate in explanation.candidates.iter().take(3) {
                if !found.iter().any(|(id, _)| *id == candidate.id)
                    && let Some(entry) = engine.live_entry(&candidate.id)
                {
                    found.push((entry.id.clone(), entry.question.clone()));
                }
            }
        }
    }
    found.truncate(3);
    found
}
