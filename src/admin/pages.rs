//! The admin pages, rendered on the server in Japanese.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::channels::line::PushQuota;

use crate::reload::ContentStatus;
use crate::store::EntryFeedback;
use crate::store::disaster::DisasterNotice;
use crate::store::handoff::HandoffSummary;
use crate::store::log::{GroupStatus, ReviewGroup, Summary, japan_time};

const CSS: &str = "
body{font-family:system-ui,'Hiragino Sans','Noto Sans JP',sans-serif;margin:0;color:#1a1a1a;background:#f5f6f8;font-size:16px;line-height:1.6}
header{background:#00529b;color:#fff;padding:.6rem 1.5rem;display:flex;gap:1.5rem;align-items:center;flex-wrap:wrap}
header a{color:#fff;font-weight:600}header h1{font-size:1.1rem;margin:0 1rem 0 0}
header form{margin-left:auto}main{max-width:1200px;margin:0 auto;padding:1rem 1.5rem}
section{background:#fff;border:1px solid #d8dce2;border-radius:8px;padding:1rem 1.25rem;margin:1rem 0}
h2{font-size:1.15rem;margin:.2rem 0 .8rem}table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #e3e6ea;padding:.45rem .5rem;text-align:left;vertical-align:top}
th{background:#eef1f5;font-weight:600;white-space:nowrap}.scroll{overflow-x:auto}td.num{text-align:right;font-variant-numeric:tabular-nums}
.figures{display:flex;gap:1rem;flex-wrap:wrap}.figure{flex:1;min-width:10rem;background:#eef4fb;border-radius:8px;padding:.6rem 1rem}
.figure b{display:block;font-size:1.8rem}.errors{background:#fdecea;border:2px solid #b3261e;border-radius:8px;padding:.8rem 1rem}
.errors pre{white-space:pre-wrap;margin:.4rem 0;font-size:.95rem}.ok{color:#1b6e20;font-weight:600}
button,input[type=submit]{font-size:1rem;padding:.4rem .9rem;border-radius:6px;border:1px solid #00529b;background:#00529b;color:#fff;cursor:pointer;min-height:2.5rem}
button.secondary{background:#fff;color:#00529b}input[type=text],input[type=password]{font-size:1rem;padding:.4rem;border:1px solid #8a94a3;border-radius:6px}
.login{max-width:24rem;margin:4rem auto}.login label{display:block;margin-top:.8rem;font-weight:600}.login input{width:100%;box-sizing:border-box}
.filters a{margin-right:1rem}.filters a[aria-current]{font-weight:700;text-decoration:none;color:#1a1a1a}
.actions form{display:inline-flex;gap:.3rem;margin:.15rem}.status-done{color:#1b6e20}.status-ignored{color:#6b7280}
.flash{background:#e8f5e9;border:1px solid #1b6e20;border-radius:8px;padding:.6rem 1rem}
.swatch{margin:0 .3em 0 1em;vertical-align:middle}
form.entry label{display:block;margin-top:.8rem;font-weight:600}form.entry input[type=text],form.entry textarea,form.entry select{width:100%;box-sizing:border-box;font-size:1rem}
textarea{font-size:1rem;font-family:inherit;padding:.4rem;border:1px solid #8a94a3;border-radius:6px}textarea.yaml{width:100%;font-family:monospace}
.field-error{display:block;color:#b00020;font-weight:600}pre.diff{background:#fff;border:1px solid #ccc;padding:.6rem;overflow-x:auto;font-size:.9rem}
.not-publishable{background:#fff4e5;border:1px solid #b36b00;border-radius:8px;padding:.6rem 1rem}
.messages{list-style:none;padding:0}.messages li{margin:.4rem 0;padding:.4rem .7rem;border-radius:8px;background:#eef4fb}
.messages li.from-resident{background:#fff}.messages li.from-staff{background:#e8f5e9}.messages li.from-note{background:#fff4e5}.messages li.from-system{background:transparent;font-style:italic}
.disaster-on{background:#b3261e;color:#fff;border-radius:8px;padding:.6rem 1rem;font-weight:600}.disaster-on a{color:#fff}
form.disaster label{display:block;margin-top:.8rem;font-weight:600}form.disaster input[type=text],form.disaster textarea{width:100%;box-sizing:border-box}
button.danger{background:#b3261e;border-color:#b3261e}
";

/// The Content-Security-Policy of every admin page: nothing but this
/// server's forms and the pages' own stylesheet (allowed by its hash), and
/// never inside a frame.
pub static CONTENT_SECURITY_POLICY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    use base64::Engine as _;
    use sha2::Digest as _;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(CSS));
    format!(
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'sha256-{hash}'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
});

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " | 窓口ボット管理" }
            style { (PreEscaped(CSS)) }
        }
    }
}

/// A page with the navigation of a signed-in user.
pub fn layout(title: &str, csrf: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="ja" {
            (head(title))
            body {
                header {
                    h1 { "窓口ボット管理" }
                    nav { a href="/admin" { "ダッシュボード" } }
                    nav { a href="/admin/unanswered" { "答えられなかった質問" } }
                    nav { a href="/admin/feedback" { "回答の評価" } }
                    nav { a href="/admin/content" { "回答の編集" } }
                    nav { a href="/admin/drafts" { "下書き" } }
                    nav { a href="/admin/revisions" { "公開の履歴" } }
                    nav { a href="/admin/audit" { "操作記録" } }
                    nav { a href="/admin/inbox" { "職員への相談" } }
                    nav { a href="/admin/disaster" { "災害モード" } }
                    form method="post" action="/admin/logout" {
                        input type="hidden" name="csrf" value=(csrf);
                        button.secondary type="submit" { "ログアウト" }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// The sign-in form.
pub fn login(csrf: &str, message: Option<&str>, no_users: bool) -> Markup {
    html! {
        (DOCTYPE)
        html lang="ja" {
            (head("ログイン"))
            body {
                main.login {
                    section {
                        h2 { "窓口ボット管理 ログイン" }
                        @if no_users {
                            p.errors role="alert" {
                                "管理者が設定されていません。設定ファイルの [admin] users か、環境変数 MADOGUCHI_ADMIN_USER と MADOGUCHI_ADMIN_PASSWORD_HASH を設定してください。"
                            }
                        }
                        @if let Some(message) = message {
                            p.errors role="alert" { (message) }
                        }
                        form method="post" action="/admin/login" {
                            input type="hidden" name="csrf" value=(csrf);
                            label for="user" { "ユーザー名" }
                            input #user type="text" name="user" autocomplete="username" required;
                            label for="password" { "パスワード" }
                            input #password type="password" name="password" autocomplete="current-password" required;
                            p { button type="submit" { "ログイン" } }
                        }
                    }
                }
            }
        }
    }
}

fn percent(value: f64) -> String {
    format!("{:.1}%", value * 100.0)
}

/// Queries per day and channel as stacked bars.
fn chart(summary: &Summary) -> Markup {
    let mut days: Vec<&String> = summary.per_day.keys().map(|(day, _)| day).collect();
    days.dedup();
    let days: Vec<&String> = days.into_iter().rev().take(14).rev().collect();
    let channels = [("web", "#00529b", "ウェブ"), ("line", "#06c755", "LINE")];
    let total = |day: &String| -> i64 {
        channels
            .iter()
            .map(|(c, _, _)| {
                summary
                    .per_day
                    .get(&(day.clone(), c.to_string()))
                    .unwrap_or(&0)
            })
            .sum()
    };
    let most = days.iter().map(|d| total(d)).max().unwrap_or(0).max(1);
    let (height, bar, gap) = (140.0, 28.0, 14.0);
    let width = (days.len() as f64) * (bar + gap) + gap;
    html! {
        @if days.is_empty() {
            p { "まだ質問がありません。" }
        } @else {
            svg role="img" aria-label="日別の質問数（経路別）" width=(width) height=(height + 40.0)
                viewBox=(format!("0 0 {width} {}", height + 40.0)) {
                @for (i, day) in days.iter().enumerate() {
                    @let x = gap + i as f64 * (bar + gap);
                    @let mut y = height;
                    @for (channel, color, _) in &channels {
                        @let count = *summary.per_day.get(&((*day).clone(), channel.to_string())).unwrap_or(&0);
                        @let h = count as f64 / most as f64 * (height - 10.0);
                        @if count > 0 {
                            rect x=(x) y=({ y -= h; y }) width=(bar) height=(h) fill=(color) {
                                title { (day) " " (channel) ": " (count) }
                            }
                        }
                    }
                    text x=(x + bar / 2.0) y=(height + 16.0) font-size="11" text-anchor="middle" { (&day[5..]) }
                    text x=(x + bar / 2.0) y=(height + 32.0) font-size="11" text-anchor="middle" { (total(day)) }
                }
            }
            p {
                @for (_, color, label) in &channels {
                    svg.swatch width="14" height="14" aria-hidden="true" { rect width="14" height="14" fill=(color) {} }
                    (label)
                }
            }
        }
    }
}

/// The dashboard.
/// One department's entries due for review: (id, question, due date).
pub struct OverdueReviews {
    pub name: String,
    pub entries: Vec<(String, String, String)>,
}

/// A group of unanswered questions with the entries the engine suggests
/// for it (id, question) and the department it goes to.
pub struct GroupRow {
    pub group: ReviewGroup,
    pub suggested: Vec<(String, String)>,
    pub department: String,
}

/// The LINE account's pushes this month, as the dashboard shows them.
pub struct LinePushes {
    /// The quota and use, or why they could not be read.
    pub quota: Result<PushQuota, String>,
    /// Whether answers whose reply token expired are pushed.
    pub push_fallback: bool,
}

/// What the dashboard shows.
pub struct Dashboard<'a> {
    pub summary: &'a Summary,
    pub content: &'a ContentStatus,
    /// The most answered entries: id, question, count.
    pub top: &'a [(String, String, i64)],
    pub overdue: &'a [OverdueReviews],
    pub line: Option<&'a LinePushes>,
    pub disaster: Option<&'a DisasterNotice>,
    /// Handoffs to staff, when some department takes them; department
    /// names by id.
    pub handoffs: Option<(
        &'a HandoffSummary,
        &'a std::collections::HashMap<String, String>,
    )>,
}

pub fn dashboard(csrf: &str, shown: &Dashboard, flash: Option<&str>) -> Markup {
    let Dashboard {
        summary,
        content,
        top,
        overdue,
        line,
        disaster,
        handoffs,
    } = *shown;
    let votes = summary.helpful + summary.not_helpful;
    layout(
        "ダッシュボード",
        csrf,
        html! {
            @if let Some(flash) = flash { p.flash role="status" { (flash) } }
            @if let Some(disaster) = disaster {
                p.disaster-on role="status" {
                    "災害モード中です（" (japan_time(disaster.since)) "から）：" (disaster.notice) "　"
                    a href="/admin/disaster" { "災害モードの設定へ" }
                }
            }
            section {
                h2 { "回答の内容" }
                p {
                    "版 " code { (content.version) } "・" (content.entries) " 件・読み込み " (japan_time(content.loaded_at))
                }
                @if content.errors.is_empty() {
                    p.ok { "最新の内容で回答しています。" }
                } @else {
                    div.errors role="alert" {
                        p { strong { "内容にエラーがあるため、前の版のまま回答しています" }
                            @if let Some(at) = content.failed_at { "（" (japan_time(at)) "）" } "。次の点を直してください:" }
                        @for error in &content.errors { pre { (error) } }
                    }
                }
                @if !content.warnings.is_empty() {
                    details {
                        summary { "注意 " (content.warnings.len()) " 件" }
                        @for warning in &content.warnings { pre { (warning) } }
                    }
                }
                form method="post" action="/admin/reload" {
                    input type="hidden" name="csrf" value=(csrf);
                    button type="submit" { "内容を読み込み直す" }
                }
            }
            section {
                h2 { "この30日間" }
                div.figures {
                    div.figure { "質問" b { (summary.queries) } }
                    div.figure { "回答できた" b { (percent(summary.rate("answer"))) } }
                    div.figure { "候補を示した" b { (percent(summary.rate("choices"))) } }
                    div.figure { "答えられなかった" b { (percent(summary.rate("fallback"))) } }
                    div.figure { "役に立った"
                        b { @if votes > 0 { (percent(summary.helpful as f64 / votes as f64)) } @else { "—" } }
                        (votes) " 件の評価"
                    }
                }
            }
            section {
                h2 { "日別の質問数" }
                (chart(summary))
            }
            @if let Some(line) = line {
                section.line {
                    h2 { "LINE のプッシュ送信（今月）" }
                    @match &line.quota {
                        Ok(quota) => {
                            p {
                                (quota.used) " 通"
                                @if let Some(limit) = quota.limit { " ／ 上限 " (limit) " 通（残り " (quota.left().unwrap_or(0)) " 通）" }
                                @else { "（上限なし）" }
                            }
                            @if line.push_fallback && quota.running_out() {
                                p.warning role="alert" {
                                    "プッシュで送れる残りがわずかです。上限に達すると、応答が遅れた質問への回答（プッシュ）は届きません。"
                                }
                            }
                            p.note { "返信（リプライ）は数えられません。応答が遅れて返信できなかったときのプッシュ"
                                @if line.push_fallback { "（有効）" } @else { "（無効: line.push_fallback）" }
                                "だけが数えられます。" }
                        }
                        Err(why) => { p.warning { "LINE から送信数を読めませんでした: " (why) } }
                    }
                }
            }
            @if let Some((handoffs, names)) = handoffs {
                section.handoffs {
                    h2 { "職員への相談（この30日間）" }
                    table {
                        thead { tr { th { "課" } th { "相談" } th { "職員が終了" } th { "最初の返信まで（中央値）" } } }
                        tbody {
                            @for d in &handoffs.departments {
                                tr {
                                    td { (names.get(&d.department).unwrap_or(&d.department)) }
                                    td.num { (d.tickets) }
                                    td.num { @if d.closed > 0 { (percent(d.resolved as f64 / d.closed as f64)) } @else { "—" } }
                                    td.num { @match d.median_first_reply_ms { Some(ms) => { (ms / 60_000) "分" (ms / 1000 % 60) "秒" } None => { "—" } } }
                                }
                            }
                        }
                    }
                    p { "日別: " @for (day, count) in &handoffs.per_day { (day) " " (count) "件　" } }
                    p { "チャットツールへの通知: 送信 " (handoffs.notices_sent) " 件・失敗 " (handoffs.notices_failed) " 件・送信待ち " (handoffs.notices_pending) " 件"
                        " ／ " a href="/admin/export/handoffs.csv" { "CSV" } }
                }
            }
            @if !overdue.is_empty() {
                section.overdue {
                    h2 { "見直しの時期を過ぎた回答" }
                    @for department in overdue {
                        h3 { (department.name) "（" (department.entries.len()) " 件）" }
                        ul {
                            @for (id, question, due) in &department.entries {
                                li { a href=(format!("/admin/content/entry/{id}")) { (question) } "（" (due) " まで）" }
                            }
                        }
                    }
                }
            }
            section {
                h2 { "よく答えた質問" }
                table {
                    thead { tr { th { "回答ID" } th { "質問" } th { "回数" } } }
                    tbody {
                        @for (id, question, count) in top {
                            tr { td { code { (id) } } td { (question) } td.num { (count) } }
                        }
                    }
                }
            }
        },
    )
}

fn status_label(status: GroupStatus) -> &'static str {
    match status {
        GroupStatus::Open => "未対応",
        GroupStatus::Done => "対応済み",
        GroupStatus::Ignored => "対象外",
    }
}

/// Groups of unanswered questions with their review forms.
pub fn unanswered(
    csrf: &str,
    groups: &[GroupRow],
    filter: &str,
    entry_ids: &[String],
    flash: Option<&str>,
) -> Markup {
    let filters = [
        ("open", "未対応"),
        ("done", "対応済み"),
        ("ignored", "対象外"),
        ("all", "すべて"),
    ];
    layout(
        "答えられなかった質問",
        csrf,
        html! {
            @if let Some(flash) = flash { p.flash role="status" { (flash) } }
            section {
                h2 { "答えられなかった質問（この90日間）" }
                p { "答えが見つからなかった質問、候補を示すだけだった質問、「役に立たなかった」と評価された回答を、似たことばごとにまとめています。" }
                p.filters {
                    @for (value, label) in filters {
                        @if value == filter {
                            a href=(format!("/admin/unanswered?status={value}")) aria-current="page" { (label) }
                        } @else {
                            a href=(format!("/admin/unanswered?status={value}")) { (label) }
                        }
                    }
                    a href="/admin/export/unanswered.csv" { "CSVでダウンロード" }
                }
                datalist #entry-ids { @for id in entry_ids { option value=(id) {} } }
                div.scroll { table {
                    thead { tr {
                        th { "ことば" } th { "件数" } th { "答えられず" } th { "最初" } th { "最後" }
                        th { "質問の例" } th { "状態" } th { "操作" }
                    } }
                    tbody {
                        @for GroupRow { group, suggested, department } in groups {
                            tr.group data-key=(group.key) {
                                td { (group.key) br; span.department { (department) } }
                                td.num { (group.count) }
                                td.num { (group.fallbacks) }
                                td { (japan_time(group.first_seen)) }
                                td { (japan_time(group.last_seen)) }
                                td { @for example in &group.examples { div { "「" (example) "」" } } }
                                td class=(format!("status-{}", group.status.as_str())) {
                                    (status_label(group.status))
                                    @if let Some(id) = &group.entry_id { br; "→ " code { (id) } }
                                }
                                td.actions {
                                    @if group.status == GroupStatus::Open {
                                        form.add-phrasing method="post" action="/admin/unanswered/phrasing" {
                                            input type="hidden" name="csrf" value=(csrf);
                                            input type="hidden" name="key" value=(group.key);
                                            select name="entry_id" aria-label=(format!("「{}」の言い方を追加する回答", group.key)) {
                                                @for (id, question) in suggested { option value=(id) { (question) } }
                                                @for id in entry_ids { option value=(id) { (id) } }
                                            }
                                            button type="submit" { "既存の回答に言い方を追加" }
                                        }
                                        a.new-entry href=(format!("/admin/content/new?group={}", url::form_urlencoded::byte_serialize(group.key.as_bytes()).collect::<String>())) { "新しい回答を作る" }
                                    }
                                    form method="post" action="/admin/unanswered" {
                                        input type="hidden" name="csrf" value=(csrf);
                                        input type="hidden" name="key" value=(group.key);
                                        input type="hidden" name="status" value="done";
                                        input type="text" name="entry_id" list="entry-ids" size="14"
                                            placeholder="答える回答ID" aria-label=(format!("「{}」に答える回答ID", group.key));
                                        button type="submit" { "対応済み" }
                                    }
                                    form method="post" action="/admin/unanswered" {
                                        input type="hidden" name="csrf" value=(csrf);
                                        input type="hidden" name="key" value=(group.key);
                                        input type="hidden" name="status" value="ignored";
                                        button.secondary type="submit" { "対象外" }
                                    }
                                    @if group.status != GroupStatus::Open {
                                        form method="post" action="/admin/unanswered" {
                                            input type="hidden" name="csrf" value=(csrf);
                                            input type="hidden" name="key" value=(group.key);
                                            input type="hidden" name="status" value="open";
                                            button.secondary type="submit" { "未対応に戻す" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } }
                @if groups.is_empty() { p { "該当する質問はありません。" } }
            }
        },
    )
}

/// Feedback per entry, worst first.
pub fn feedback(csrf: &str, rows: &[(EntryFeedback, String)]) -> Markup {
    layout(
        "回答の評価",
        csrf,
        html! {
            section {
                h2 { "回答ごとの評価（役に立った割合の低い順）" }
                table {
                    thead { tr {
                        th { "回答ID" } th { "質問" } th { "役に立った" } th { "役に立たなかった" } th { "割合" }
                    } }
                    tbody {
                        @for (row, question) in rows {
                            @let total = row.helpful + row.not_helpful;
                            tr {
                                td { code { (row.entry_id) } }
                                td { (question) }
                                td.num { (row.helpful) }
                                td.num { (row.not_helpful) }
                                td.num { @if total > 0 { (percent(row.helpful as f64 / total as f64)) } }
                            }
                        }
                    }
                }
                @if rows.is_empty() { p { "まだ評価がありません。" } }
            }
        },
    )
}
