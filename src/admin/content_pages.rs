//! The markup of the content pages: the list of entries, the entry form,
//! flows, a file's YAML, drafts with their diff and replay, revisions and
//! the audit log.

use maud::{Markup, html};

use super::pages::layout;
use crate::authoring::replay::{Change, Outcome};
use crate::authoring::topic_edit::FieldValue;
use crate::authoring::workspace::Checked;
use crate::faq::model::TopicFile;
use crate::faq::{Content, Date, Entry};
use crate::store::content::{AuditEntry, Draft, Revision};
use crate::store::log::japan_time;

/// What the entry form holds, as typed.
#[derive(Debug, Clone, Default)]
pub struct EntryForm {
    /// Empty for a new entry.
    pub original_id: String,
    pub id: String,
    /// The topic file a new entry goes into.
    pub file: String,
    pub question: String,
    /// One a line.
    pub phrasings: String,
    /// Separated by 、 or ,.
    pub keywords: String,
    pub answer: String,
    pub department: String,
    pub procedures: Vec<String>,
    /// Entry ids separated by 、 or ,.
    pub related: String,
    pub valid_from: String,
    pub valid_until: String,
    /// When the department last checked the answer.
    pub reviewed: String,
    /// The draft the edit goes into; a new one when absent.
    pub draft: Option<i64>,
    /// The unanswered group the entry answers.
    pub group: Option<String>,
}

fn joined(items: &[String], separator: &str) -> String {
    items.join(separator)
}

fn split_words(text: &str) -> Vec<String> {
    text.split([',', '、', '，'])
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

fn split_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

impl EntryForm {
    /// The form of an entry written in `file` (whose department it may
    /// inherit).
    pub fn from_entry(
        entry: &Entry,
        file: &str,
        department: &str,
        draft: Option<i64>,
    ) -> EntryForm {
        EntryForm {
            original_id: entry.id.clone(),
            id: entry.id.clone(),
            file: file.to_string(),
            question: entry.question.clone(),
            phrasings: joined(&entry.phrasings, "\n"),
            keywords: joined(&entry.keywords, "、"),
            answer: entry.answer.trim_end().to_string(),
            department: entry
                .department
                .clone()
                .unwrap_or_else(|| department.to_string()),
            procedures: entry.procedures.clone(),
            related: joined(&entry.related, "、"),
            valid_from: entry.valid_from.map(|d| d.to_string()).unwrap_or_default(),
            valid_until: entry.valid_until.map(|d| d.to_string()).unwrap_or_default(),
            reviewed: entry.reviewed.map(|d| d.to_string()).unwrap_or_default(),
            draft,
            group: None,
        }
    }

    /// Mistakes to show next to their fields, before anything is written.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if let Some((message, help)) = crate::faq::id_problem(&self.id) {
            problems.push(("id", format!("{message}（{help}）")));
        }
        if self.question.is_empty() {
            problems.push(("question", "質問を書いてください。".into()));
        }
        if self.answer.trim().is_empty() {
            problems.push(("answer", "回答を書いてください。".into()));
        }
        if self.department.is_empty() {
            problems.push(("department", "担当課を選んでください。".into()));
        }
        for (field, text) in [
            ("valid_from", &self.valid_from),
            ("valid_until", &self.valid_until),
        ] {
            if !text.is_empty() && text.parse::<Date>().is_err() {
                problems.push((field, "日付は 2026-04-01 の形で書いてください。".into()));
            }
        }
        if let (Ok(from), Ok(until)) = (
            self.valid_from.parse::<Date>(),
            self.valid_until.parse::<Date>(),
        ) && from > until
        {
            problems.push(("valid_until", "終了日が開始日より前です。".into()));
        }
        problems
    }

    /// The fields to write; the department only where it differs from the
    /// file's (`file_department`).
    pub fn values(&self, file_department: Option<&str>) -> Vec<(&'static str, FieldValue)> {
        let text = |t: &str| FieldValue::Text(Some(t.to_string()).filter(|t| !t.is_empty()));
        let mut values = Vec::new();
        if self.original_id.is_empty() {
            values.push(("id", text(&self.id)));
        }
        values.extend([
            ("question", text(&self.question)),
            ("phrasings", FieldValue::List(split_lines(&self.phrasings))),
            ("keywords", FieldValue::List(split_words(&self.keywords))),
            ("answer", text(&self.answer)),
            (
                "department",
                FieldValue::Text(
                    Some(self.department.clone()).filter(|d| Some(d.as_str()) != file_department),
                ),
            ),
            ("procedures", FieldValue::List(self.procedures.clone())),
            ("related", FieldValue::List(split_words(&self.related))),
            ("valid_from", text(&self.valid_from)),
            ("valid_until", text(&self.valid_until)),
            ("reviewed", text(&self.reviewed)),
        ]);
        values
    }
}

/// The content pages' sub-navigation.
fn tabs() -> Markup {
    html! {
        p.filters {
            a href="/admin/content" { "回答の一覧" }
            a href="/admin/content/new" { "新しい回答" }
            a href="/admin/content/flows" { "案内（フロー）" }
            a href="/admin/drafts" { "下書き" }
            a href="/admin/revisions" { "公開の履歴" }
        }
    }
}

pub fn content_list(
    csrf: &str,
    content: &Content,
    entries: &[&Entry],
    needle: &str,
    category: &str,
    department: &str,
) -> Markup {
    layout(
        "回答の編集",
        csrf,
        html! {
            section {
                h2 { "回答の一覧（" (entries.len()) " 件）" }
                (tabs())
                form method="get" action="/admin/content" {
                    label for="q" { "ことばで探す " }
                    input #q type="text" name="q" value=(needle);
                    " "
                    select name="category" aria-label="分類" {
                        option value="" { "すべての分類" }
                        @for name in &content.categories {
                            option value=(name) selected[name == category] { (name) }
                        }
                    }
                    " "
                    select name="department" aria-label="担当課" {
                        option value="" { "すべての課" }
                        @for (id, d) in &content.departments {
                            option value=(id) selected[id == department] { (d.name) }
                        }
                    }
                    " "
                    button type="submit" { "探す" }
                }
                div.scroll { table {
                    thead { tr { th { "ID" } th { "質問" } th { "分類" } th { "担当課" } th { "期間" } th { "操作" } } }
                    tbody {
                        @for entry in entries {
                            tr.entry data-id=(entry.id) {
                                td { code { (entry.id) } }
                                td { (entry.question) }
                                td { (entry.category.as_deref().unwrap_or("")) }
                                td { (content.department_of(entry).map_or("", |d| d.name.as_str())) }
                                td {
                                    (entry.valid_from.map(|d| d.to_string()).unwrap_or_default())
                                    @if entry.valid_from.is_some() || entry.valid_until.is_some() { "〜" }
                                    (entry.valid_until.map(|d| d.to_string()).unwrap_or_default())
                                }
                                td.actions {
                                    a href=(format!("/admin/content/entry/{}", entry.id)) { "編集" }
                                    " "
                                    a href=(format!("/admin/content/entry/{}/delete", entry.id)) { "削除" }
                                }
                            }
                        }
                    }
                } }
                h3 { "ファイルを直接編集（上級者向け）" }
                ul {
                    @for path in content_files(content) {
                        li { a href=(format!("/admin/content/file?path={path}")) { code { (path) } } }
                    }
                }
            }
        },
    )
}

/// The topic files of the content, relative to its directory.
fn content_files(content: &Content) -> Vec<String> {
    let mut files: Vec<String> = content
        .entries
        .iter()
        .filter_map(|e| {
            e.source
                .file
                .file_name()
                .map(|f| f.to_string_lossy().to_string())
        })
        .collect();
    files.sort();
    files.dedup();
    files
}

pub fn entry_form(
    csrf: &str,
    content: &Content,
    topics: &[(String, TopicFile)],
    form: &EntryForm,
    problems: &[(&str, String)],
) -> Markup {
    let is_new = form.original_id.is_empty();
    let title = if is_new {
        "新しい回答"
    } else {
        "回答の編集"
    };
    let note = |field: &str| -> Markup {
        html! {
            @for message in problems.iter().filter(|(f, _)| *f == field).map(|(_, m)| m) {
                span.field-error role="alert" { (message) }
            }
        }
    };
    layout(
        title,
        csrf,
        html! {
            section {
                h2 { (title) }
                (tabs())
                @if !problems.is_empty() {
                    div.errors role="alert" { p { strong { "直すところがあります（下のそれぞれの欄に書いてあります）。" } } }
                }
                p { "保存すると下書きになります。住民への回答は、承認者が公開するまで変わりません。" }
                form.entry method="post" action="/admin/content/entry" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="original_id" value=(form.original_id);
                    @if let Some(draft) = form.draft { input type="hidden" name="draft" value=(draft); }
                    @if let Some(group) = &form.group { input type="hidden" name="group" value=(group); }
                    @if is_new {
                        label for="file" { "書き込むファイル（分類）" }
                        select #file name="file" {
                            @for (path, topic) in topics {
                                option value=(path) selected[*path == form.file] { (topic.category) "（" (path) "）" }
                            }
                        }
                        (note("file"))
                        label for="id" { "ID（英小文字・数字・-）" }
                        input #id type="text" name="id" value=(form.id) required;
                    } @else {
                        input type="hidden" name="file" value=(form.file);
                        input type="hidden" name="id" value=(form.id);
                        p { "ID: " code { (form.id) } "（" (form.file) "）" }
                    }
                    (note("id"))
                    label for="question" { "質問" }
                    input #question type="text" name="question" value=(form.question) required;
                    (note("question"))
                    label for="phrasings" { "ほかの言い方（1行に1つ）" }
                    textarea #phrasings name="phrasings" rows="4" { (form.phrasings) }
                    label for="keywords" { "キーワード（「、」で区切る）" }
                    input #keywords type="text" name="keywords" value=(form.keywords);
                    label for="answer" { "回答" }
                    textarea #answer name="answer" rows="8" required { (form.answer) }
                    (note("answer"))
                    label for="department" { "担当課" }
                    select #department name="department" {
                        option value="" { "選んでください" }
                        @for (id, department) in &content.departments {
                            option value=(id) selected[*id == form.department] { (department.name) }
                        }
                    }
                    (note("department"))
                    label for="procedures" { "手続き（複数選べます）" }
                    select #procedures name="procedures" multiple size="6" {
                        @for (id, procedure) in &content.procedures {
                            option value=(id) selected[form.procedures.contains(id)] {
                                (procedure.name) "（" (procedure.kind.label()) "）"
                            }
                        }
                    }
                    (note("procedures"))
                    label for="related" { "関連する質問のID（「、」で区切る）" }
                    input #related type="text" name="related" value=(form.related);
                    (note("related"))
                    label for="valid_from" { "表示する期間（空欄なら常に）" }
                    input #valid_from type="date" name="valid_from" value=(form.valid_from);
                    " 〜 "
                    input #valid_until type="date" name="valid_until" value=(form.valid_until) aria-label="表示の終了日";
                    (note("valid_from")) (note("valid_until"))
                    label for="reviewed" { "内容を確認した日（定期見直し）" }
                    input #reviewed type="date" name="reviewed" value=(form.reviewed);
                    (note("reviewed"))
                    p { button type="submit" { "下書きに保存" } }
                }
            }
        },
    )
}

pub fn confirm_delete(csrf: &str, entry: &Entry, references: &[String]) -> Markup {
    layout(
        "回答の削除",
        csrf,
        html! {
            section {
                h2 { "回答「" (entry.question) "」を削除しますか" }
                @if references.is_empty() {
                    p { "この回答を参照しているところはありません。" }
                } @else {
                    div.errors role="alert" {
                        p { strong { "次のところがこの回答を参照しています。削除すると、それぞれ直す必要があります。" } }
                        ul { @for reference in references { li { (reference) } } }
                    }
                }
                form method="post" action=(format!("/admin/content/entry/{}/delete", entry.id)) {
                    input type="hidden" name="csrf" value=(csrf);
                    button type="submit" { "削除を下書きにする" }
                }
            }
        },
    )
}

pub fn flows(csrf: &str, content: &Content) -> Markup {
    layout(
        "案内（フロー）",
        csrf,
        html! {
            section {
                h2 { "案内（フロー）" }
                (tabs())
                @for flow in &content.flows {
                    article.flow {
                        h3 { (flow.title) " " code { (flow.id) } }
                        p { "きっかけ: " (flow.triggers.join("、")) }
                        ol {
                            @for step in &flow.steps {
                                li {
                                    strong { (step.id) } "：" (step.prompt)
                                    ul {
                                        @for choice in &step.choices {
                                            li {
                                                (choice.label) " → "
                                                @match choice.target() {
                                                    Some(crate::faq::Target::Answer(id)) => a href=(format!("/admin/content/entry/{id}")) { "回答 " code { (id) } },
                                                    Some(crate::faq::Target::Step(id)) => { "次の問い " code { (id) } },
                                                    Some(crate::faq::Target::Procedure(id)) => { "手続き " code { (id) } },
                                                    Some(crate::faq::Target::Contact(id)) => { "問い合わせ先 " code { (id) } },
                                                    None => { "（行き先なし）" },
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        p { a href=(format!("/admin/content/file?path=flows/{}", flow.file.file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default())) { "このファイルを直接編集" } }
                    }
                }
            }
        },
    )
}

pub fn file_form(csrf: &str, path: &str, text: &str, draft: Option<i64>) -> Markup {
    layout(
        "ファイルの編集",
        csrf,
        html! {
            section {
                h2 { code { (path) } " を直接編集" }
                p { "保存すると下書きになり、エラーがあれば下書きのページに行番号つきで表示されます。" }
                form method="post" action="/admin/content/file" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="path" value=(path);
                    @if let Some(draft) = draft { input type="hidden" name="draft" value=(draft); }
                    textarea.yaml name="text" rows="30" aria-label=(path) spellcheck="false" { (text) }
                    p { button type="submit" { "下書きに保存" } }
                }
            }
        },
    )
}

pub fn drafts(csrf: &str, drafts: &[Draft]) -> Markup {
    layout(
        "下書き",
        csrf,
        html! {
            section {
                h2 { "公開待ちの下書き" }
                (tabs())
                @if drafts.is_empty() { p { "公開待ちの下書きはありません。" } }
                ul {
                    @for draft in drafts {
                        li { a href=(format!("/admin/drafts/{}", draft.id)) { (draft.title) } "（" (draft.author) "・" (japan_time(draft.updated_at)) "）" }
                    }
                }
            }
        },
    )
}

/// What the draft page shows.
pub struct DraftView<'a> {
    pub csrf: &'a str,
    pub draft: &'a Draft,
    pub diff: &'a str,
    pub checked: &'a Checked,
    pub changes: &'a [Change],
    /// Distinct questions replayed.
    pub asked: usize,
    pub days: i64,
    /// Whether the viewer may publish, or why not.
    pub publish: Result<(), String>,
}

pub fn draft(view: DraftView) -> Markup {
    let DraftView {
        csrf,
        draft,
        diff,
        checked,
        changes,
        asked,
        days,
        publish,
    } = view;
    layout(
        "下書き",
        csrf,
        html! {
            section {
                h2 { (draft.title) }
                (tabs())
                p { "作成: " (draft.author) "・最終更新 " (japan_time(draft.updated_at)) "・状態 " (draft.status.as_str()) }
                @if !checked.errors.is_empty() {
                    div.errors role="alert" {
                        p { strong { "エラー（公開できません）" } }
                        @for error in &checked.errors { pre { (error) } }
                    }
                } @else {
                    p.ok { "エラーはありません。" }
                }
                @if !checked.warnings.is_empty() {
                    details { summary { "注意 " (checked.warnings.len()) " 件" } @for w in &checked.warnings { pre { (w) } } }
                }
                h3 { "住民の質問への影響（この" (days) "日間の " (asked) " 種類の質問を、下書きで聞き直しました）" }
                @if changes.is_empty() {
                    p.no-changes { "答え方が変わる質問はありません。" }
                } @else {
                    div.scroll { table.replay {
                        thead { tr { th { "質問" } th { "回数" } th { "今" } th { "公開後" } } }
                        tbody {
                            @for change in changes {
                                tr.change {
                                    td { (change.question) }
                                    td.num { (change.count) }
                                    td { (outcome(&change.before)) }
                                    td { (outcome(&change.after)) }
                                }
                            }
                        }
                    } }
                }
                form method="get" action=(format!("/admin/drafts/{}", draft.id)) {
                    label for="days" { "聞き直す期間（日）" } " "
                    input #days type="number" name="days" min="1" max="365" value=(days);
                    " " button.secondary type="submit" { "聞き直す" }
                }
                h3 { "テスト" }
                ul {
                    @if let Some((first, all)) = checked.paraphrases {
                        li { "言い換えテスト: " (all) " 件中 " (first) " 件で正しい回答が1位" }
                    }
                    @if let Some((played, failures)) = &checked.conversations {
                        li { "会話テスト: " (played) " 件中 " (played - failures.len()) " 件どおり" }
                        @for failure in failures { li { pre { (failure) } } }
                    }
                }
                h3 { "変更の内容" }
                pre.diff { (diff) }
                @match &publish {
                    Ok(()) => {
                        form method="post" action=(format!("/admin/drafts/{}/publish", draft.id)) {
                            input type="hidden" name="csrf" value=(csrf);
                            button #publish type="submit" { "公開する" }
                        }
                    }
                    Err(why) => { p.not-publishable role="status" { (why) } }
                }
                form method="post" action=(format!("/admin/drafts/{}/discard", draft.id)) {
                    input type="hidden" name="csrf" value=(csrf);
                    button.secondary type="submit" { "この下書きを破棄" }
                }
            }
        },
    )
}

/// A replayed decision as staff read it.
fn outcome(outcome: &Outcome) -> Markup {
    let kind = match outcome.kind.as_str() {
        "answer" => "回答",
        "choices" => "候補を示す",
        "flow" => "案内",
        "rule" => "決まった返事",
        _ => "答えなし",
    };
    html! {
        (kind)
        @if let Some(id) = &outcome.entry_id { "：" code { (id) } }
        @if !outcome.choices.is_empty() { "（" (outcome.choices.join("、")) "）" }
    }
}

pub fn revisions(csrf: &str, revisions: &[Revision], published: Option<i64>) -> Markup {
    layout(
        "公開の履歴",
        csrf,
        html! {
            section {
                h2 { "公開の履歴" }
                (tabs())
                @if let Some(number) = published { p.flash role="status" { "版" (number) "として公開しました。" } }
                div.scroll { table {
                    thead { tr { th { "版" } th { "公開日時" } th { "内容" } th { "作成" } th { "承認" } th { "戻す" } } }
                    tbody {
                        @for revision in revisions {
                            tr.revision data-id=(revision.id) {
                                td { (revision.id) }
                                td { (japan_time(revision.published_at)) }
                                td { (revision.message) details { summary { "差分" } pre.diff { (revision.diff) } } }
                                td { (revision.author) }
                                td { (revision.approver) }
                                td.actions {
                                    form method="post" action=(format!("/admin/revisions/{}/restore", revision.id)) {
                                        input type="hidden" name="csrf" value=(csrf);
                                        input type="hidden" name="to" value="before";
                                        button.secondary type="submit" { "公開前に戻す" }
                                    }
                                    form method="post" action=(format!("/admin/revisions/{}/restore", revision.id)) {
                                        input type="hidden" name="csrf" value=(csrf);
                                        input type="hidden" name="to" value="after";
                                        button.secondary type="submit" { "この版に戻す" }
                                    }
                                }
                            }
                        }
                    }
                } }
                @if revisions.is_empty() { p { "まだ公開はありません。" } }
            }
        },
    )
}

pub fn audit(csrf: &str, entries: &[AuditEntry]) -> Markup {
    layout(
        "操作記録",
        csrf,
        html! {
            section {
                h2 { "操作記録（この1年）" }
                p { a href="/admin/export/audit.csv" { "CSVでダウンロード" } }
                div.scroll { table {
                    thead { tr { th { "日時" } th { "職員" } th { "操作" } th { "内容" } } }
                    tbody {
                        @for entry in entries {
                            tr { td { (japan_time(entry.at)) } td { (entry.actor) } td { code { (entry.action) } } td { (entry.detail) } }
                        }
                    }
                } }
            }
        },
    )
}
