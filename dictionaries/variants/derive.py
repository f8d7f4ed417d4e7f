"""Derives variants.tsv from Sudachi's synonym dictionary.

    npm pack sudachi-synonyms-dictionary@18.0.0 && tar xzf sudachi-synonyms-dictionary-18.0.0.tgz
    python3 derive.py package/sudachi-synonyms-dictionary.json > variants.tsv

Keeps, for each word (語彙素) of each synonym group, its written forms
(表記ゆれ, 略語, アルファベット表記 …) that may be used for expansion
(展開制御フラグ 0) and contain Japanese script; one line per word with two
forms or more, the group's representative form first. Different words of
one group (near-synonyms) are not merged: only ways of writing one word.
"""

import json
import sys


def japanese(text):
    return any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text)


def main(path):
    groups = json.load(open(path, encoding="utf-8"))
    print("# 同じ語の書き方の違い（表記ゆれ・略語）。1 行に 1 語、最初の書き方にそろえて探します。")
    print("# Sudachi 同義語辞書 (Apache License 2.0) から derive.py で作成。")
    for group in groups:
        forms = {}
        for item in group["items"]:
            # A form with no word number cannot be told apart from its
            # group's other words.
            if item["vocabularyNumber"] is None:
                continue
            if item["expandControl"] == 0 and japanese(item["midashi"]):
                forms.setdefault(item["vocabularyNumber"], [])
                if item["midashi"] not in forms[item["vocabularyNumber"]]:
                    forms[item["vocabularyNumber"]].append(item["midashi"])
        for number in sorted(forms):
            if len(forms[number]) >= 2:
                print("\t".join(forms[number]))


if __name__ == "__main__":
    main(sys.argv[1])
