//! The conversation tests in `faq/tests/conversations/`: flows, choices
//! picked by number, questions about the previous answer and what follows
//! 「役に立たなかった」, played turn by turn against the demo content.

mod common;

use madoguchi::eval::conversations;

#[test]
fn the_scripted_conversations_go_as_written() {
    let engine = common::demo_engine();
    let (played, failures) =
        conversations::run(&engine, &common::root().join("faq/tests/conversations"))
            .unwrap_or_else(|err| panic!("{err}"));
    println!(
        "conversations: {} of {played} passed",
        played - failures.len()
    );
    assert!(played >= 12, "{played} conversations");
    assert!(
        failures.is_empty(),
        "\n{}",
        failures
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}
