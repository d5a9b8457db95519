"""Capitalised names: three patterns, one per question asked of a capitalised word, the capitalised
words that name nothing, and the words that say what a name names (a title, an organisation, a place).

They differ on purpose. The name check (qa.grounding) wants every capitalised word with its hyphenated and
apostrophe'd parts ("Kowalczyk-Bey", "O'Neil") to look each up in the passages; respelling (qa.prompt)
wants only plain words of four letters or more, the place names worth comparing letter by letter; the
faithfulness check (eval.metrics) wants whole multi-word names ("Bank of America") to find in a source.
"""

from __future__ import annotations

import re

from embeddings.text.dates import MONTH, MONTH_ABBREVIATIONS, MONTHS, WEEKDAY, WEEKDAYS

# qa.grounding: capitalised words, with their hyphenated or apostrophe'd parts: "Kowalczyk-Bey", "O'Neil",
# "Miami's".
CAPITALISED_WORD = re.compile(r"\b[A-Z][A-Za-z]*(?:['’-][A-Za-z]+)*")
# qa.prompt: a capitalised word of four letters or more, lower case after its capital ("Paktya", not "US").
PLAIN_NAME = re.compile(r"\b[A-Z][a-z]{3,}\b")
# eval.metrics: runs of capitalised words, joined by "of", "de", "van", "&"... ("Bank of America"); a word
# keeps inner dots, apostrophes and ampersands ("Inc.", "O'Neil", "AT&T").
NAME_RUN = re.compile(
    r"\b[A-Z][\w'’.&-]*[\w&]"
    r"(?:\s+(?:(?:of|de|del|la|van|von|der|&)\s+)?[A-Z][\w'’.&-]*[\w&])*"
)

# qa.grounding: a month or weekday, whole, is capitalised without naming anyone.
CALENDAR_WORD = re.compile(rf"^(?:{MONTH}|{WEEKDAY})$")
# eval.metrics: lower-cased words that start sentences or are capitalised by convention without naming
# anything in the source (and months and weekdays, spelled out or abbreviated); a name run loses them
# from its front.
NOT_NAMES = frozenset(
    """a an the this that these those it its he she they his her their we our you i in on at for to of by
    with from as and or but if when while after before during under over according also however
    meanwhile further additionally finally first second third then there here today yesterday tomorrow
    mr mrs ms dr so not no yes all both each
    overall summary release press later earlier since until although because despite following
    previously currently instead prior officials authorities""".split()
) | {w.lower() for w in (*WEEKDAYS, *MONTHS, *MONTH_ABBREVIATIONS)}

# qa.spans and embeddings.text.entities: the words of a title before a name ("U.S. District Judge Neil V.
# Wake"), the words that make a name an organisation's or a place's, and places a name names without a word
# saying so.
TITLES = frozenset(
    """u.s. us district judge chief magistrate senior assistant attorney general special agent agents acting
    deputy director president vice secretary senator sen. rep. representative governor gov. mayor officer
    sgt. sergeant lt. lieutenant capt. captain col. colonel gen. general maj. major dr. mr. mrs. ms. prof.
    detective sheriff inspector commissioner administrator chairman ceo judges former federal""".split()
)
ORG_WORDS = frozenset(
    """department office court inc. inc llc l.l.c. corp. corp corporation company co. bank service services
    agency bureau administration commission network group association university school college hospital
    center centre clinic partners securities communications systems health foundation force police army
    navy marines council committee division unit ministry authority institute trust fund church party
    board taliban cartel gang enterprises holdings industries international airlines llp ltd. ltd plc
    ag sa s.a. nv gmbh movement organization organisation""".split()
)
PLACE_WORDS = frozenset(
    """province district county city island camp base valley village town state region street avenue
    parish bay river mountains airport isla isle fort mount lake san santa port""".split()
)
# Places a name run names without a word saying so: US states and Afghanistan's provinces, the two
# archives pressqa is measured on, and common countries.
PLACES = frozenset(
    """alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho
    illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota
    mississippi missouri montana nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah
    vermont virginia washington wisconsin wyoming
    badakhshan badghis baghlan balkh bamyan daykundi farah faryab ghazni ghor helmand herat jowzjan kabul
    kandahar kapisa khost kunar kunduz laghman logar nangarhar nimroz nuristan oruzgan uruzgan paktia
    paktiya paktika panjshir parwan samangan sar-e pul takhar wardak zabul
    afghanistan pakistan iran iraq syria china russia mexico canada colombia venezuela kuwait turkey
    india israel germany france italy spain japan korea haiti peru brazil ukraine nigeria egypt""".split()
)
