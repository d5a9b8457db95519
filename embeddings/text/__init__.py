"""Text rules every layer shares, each written once: what a sentence, a word, a stop word, a date, a
weekday, a citation marker and a capitalised name are.

They live at the bottom layer because loading, chunking and BM25 need them as much as prompting,
answering, rendering and evaluating do; `embeddings` imports none of `qa`, `ui` or `eval`, so all of them
can import these. One module per rule:

- `sentences`: sentence spans (chunking, citations, prompt trimming, summary sections) and plain sentence
  ends (titles, ROUGE sentences);
- `words`: the word tokeniser and the stop-word lists derived from one base;
- `dates`: month and weekday names, and complete dates written in text;
- `event_dates`: a release's dateline, the days its body states (relative ones resolved against the
  release's date) and the day of its main event;
- `markers`: citation markers "[1]" / "[1, 2]" and their variants;
- `names`: capitalised-name patterns, and the title, organisation and place words;
- `entities`: the people and organisations a text names, one entity each with its mentions;
- `person_model`: the packaged NER model, sha256-checked, that confirms people for `entities`.
"""
