-- +goose Up
-- A job's failure signature: its failure_reason with what differs between occurrences of one
-- failure (nodes, runs, pids, ids, times, addresses) replaced by placeholders, so that the same
-- failure on other nodes, in other runs, has one signature and different failures keep theirs.
-- In SQL so that triggers, batched backfills and imports (COPY fires triggers) share one
-- definition. IMMUTABLE: its result depends on its argument alone, so it may be indexed.
--
-- Creating a function takes no lock on any table.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION failure_signature(reason text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    s text;
BEGIN
    -- Only the first 2,000 characters count: a reason can be a megabyte of output, and a
    -- trigger must not spend a regular expression's time on it. A traceback's exception is its
    -- last line, so of a long one the last 2,000 count: less the line the cut falls in and the
    -- source lines of a frame whose File line was cut, under the header that was cut, so that
    -- it reads as a short one does.
    IF length(reason) > 2000 AND strpos(reason, 'Traceback (most recent call last):') > 0 THEN
        s := E'Traceback (most recent call last):\n'
            || regexp_replace(right(reason, 2000), '^[^\n]*\n([ \t]{4,}[^\n]*\n)*', '');
    ELSE
        s := left(reason, 2000);
    END IF;
    -- U+E000 (private use) marks digits that stay, below; the input's own would count as marks.
    s := replace(s, chr(57344), '');

    -- Traceback frames ('  File "x.py", line N, in f' and the source lines under it) change
    -- with every release: of each traceback only its innermost function is kept, as 'in f',
    -- besides the exception's own lines. Before the whitespace goes, which marks the frames.
    s := regexp_replace(s, '^[ \t]+File "[^"\n]*", line [0-9]+, in [^\n]*(\n[ \t]{4,}[^\n]*)*\n(?=[ \t]+File ")', '', 'gn');
    s := regexp_replace(s, '^[ \t]+File "[^"\n]*", line [0-9]+, in ([^\n]*)(\n[ \t]{4,}[^\n]*)*', 'in \1', 'gn');
    -- Whitespace, Unicode's too (\s is the locale's, which may not know it), is one space.
    s := btrim(regexp_replace(s, '[\s\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+', ' ', 'g'));
    IF s = '' THEN
        RETURN NULL;
    END IF;

    -- The order matters: each rule runs before the ones that would take a piece of what it
    -- matches (a UUID's groups for hex ids, a date for numbers, an FQDN's first label for a
    -- host name). A placeholder stands for a word, so the rules take '>' on their left and '<'
    -- on their right for letters: 'fe80::1b' becomes 'fe80::<n>', which a second pass must
    -- leave as it is.
    s := regexp_replace(s, '(?<![[:alnum:]>])[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}(?![[:alnum:]<])', '<uuid>', 'g');
    -- Timestamps: a date, with or without a time ('T', ' ' or '_' between: run names have
    -- '_'), fractions and a zone; or a time alone, which is also how durations print (0:12:34).
    s := regexp_replace(s, '(?<![[:alnum:]>])[0-9]{4}-[0-9]{2}-[0-9]{2}([T _][0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?( ?(Z|UTC|[+-][0-9]{2}:?[0-9]{2}))?)?(?![[:alnum:]<])', '<time>', 'g');
    s := regexp_replace(s, '(?<![[:alnum:]>:.])[0-9]{1,2}:[0-9]{2}:[0-9]{2}([.,][0-9]+)?( ?(Z|UTC|[+-][0-9]{2}:?[0-9]{2}))?(?![[:alnum:]<:])', '<time>', 'g');
    s := regexp_replace(s, '(?<![[:alnum:]>.])[0-9]{1,3}(\.[0-9]{1,3}){3}(?![[:alnum:]<]|\.[0-9<])', '<ip>', 'g');
    -- IPv6: eight groups, or fewer with '::'; with a digit, so that C++'s a::b is left alone.
    s := regexp_replace(s, '(?<![[:alnum:]>:.])(?=[0-9a-fA-F:]*[0-9])([0-9a-fA-F]{1,4}(:[0-9a-fA-F]{1,4}){7}|([0-9a-fA-F]{1,4}(:[0-9a-fA-F]{1,4})*)?::([0-9a-fA-F]{1,4}(:[0-9a-fA-F]{1,4})*)?)(?![[:alnum:]<:])', '<ip>', 'g');
    -- Hex ids (sha1s, container ids, addresses): 0x..., or 7 or more hex digits with both a
    -- digit and a letter, so that neither words (added, decade) nor numbers count. An all-digit
    -- id is a number, below.
    s := regexp_replace(s, '(?<![[:alnum:]>])(0x[0-9a-fA-F]+|(?=[0-9a-fA-F]*[0-9])(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{7,})(?![[:alnum:]<])', '<hex>', 'g');
    -- Host names: FQDNs (by their top-level domain, which tells smithi042.front.sepia.ceph.com
    -- from teuthology.orchestra.run).
    s := regexp_replace(s, '(?<![[:alnum:]>_.-])[[:alnum:]]([[:alnum:]-]*[[:alnum:]])?(\.[[:alnum:]]([[:alnum:]-]*[[:alnum:]])?)*\.(com|net|org|io|edu|gov|local|localdomain|lan|internal|cloud)(?![[:alnum:]<-]|\.[[:alnum:]<])', '<host>', 'g');
    -- Digits that stay get the mark U+E000 before them, which the rules for short host names
    -- and numbers do not cross (a mark costs a fifth of what lookbehinds in those rules did):
    -- here the digits of technical words shaped like host names, below exit statuses.
    s := regexp_replace(s, '(?<![[:alnum:]>])(sha|md|crc|u?int|float|base|utf|ucs|amd|aarch|arm|ppc|python|rhel|centos|ubuntu|debian|fedora|rocky|alma|http|ipv)([0-9]+)(?![[:alnum:]<])', '\1' || chr(57344) || '\2', 'g');
    -- Short host names: 3 or more letters and 2 or more digits (smithi042, vpm049). Then
    -- user@host is the host.
    s := regexp_replace(s, '(?<![[:alnum:]>])[a-z]{3,}[0-9]{2,}(?![[:alnum:]<])', '<host>', 'g');
    s := regexp_replace(s, '(?<![[:alnum:]>_.@-])[[:alnum:]_.-]+@(<host>|<ip>)', '\1', 'g');
    -- Daemon names: mon.a and mon.b are one failure, as are osd.3 and osd.5 (a number, below);
    -- cephadm names daemons <host>.<6 random letters>.
    s := regexp_replace(s, '(?<![[:alnum:]>])(mon|mgr|mds)\.[a-z](?![[:alnum:]<])', '\1.<id>', 'g');
    s := regexp_replace(s, '<host>\.[a-z]{6}(?![[:alnum:]<])', '<host>.<id>', 'g');
    -- Paths under a run's archive (/archive/<run>/<job>/...) name the run and the job. After
    -- the rules above, which a '<path>' at their side would stop where a '/' did not.
    s := regexp_replace(s, '(/[^\s''"/]+)*/archive/[^\s''"/]+/[0-9]+(/[[:alnum:]_.~%+@<>-]*)*(?![[:alnum:]_.~%+@<>/-])', '<path>', 'g');
    -- Numbers (pids, counts, ports, sizes, job ids, osd ids, durations like 1234.5s or 3h): a
    -- word that begins with a digit, whole, so that no random rest of it (988b of 988b5f) is
    -- left, nor a new word start for a second pass; not digits glued after a letter (sha1, x86,
    -- s0 stay) or marked. Exit statuses and codes are marked here, after every rule that could
    -- take the word before them, if that word is letters (status, exitcode; not 9code, which is
    -- a number): 'with status 1' and 'with status 124' (a timeout) are different failures.
    s := regexp_replace(s, '(?<![[:alnum:]])([[:alpha:]]*(status|code)(: | |=))([0-9])', '\1' || chr(57344) || '\4', 'g');
    s := replace(regexp_replace(s, '(?<![[:alnum:]\uE000])[0-9]+(\.[0-9]+)*[[:alnum:]]*', '<n>', 'g'), chr(57344), '');

    -- Bounded: 1,000 characters, under the 2,000 considered, so that a second pass sees it all;
    -- cut at the last space, so that the last word is whole and a second pass changes nothing.
    -- A first word longer than that (a blob) is '<long>'.
    IF length(s) > 1000 THEN
        s := coalesce(substring(left(s, 1001) from '^(.*) '), '<long>');
    END IF;
    RETURN s;
END
$$;
-- +goose StatementEnd

-- The signature's id, for grouping and indexing: NULL for no signature.
CREATE OR REPLACE FUNCTION failure_signature_id(reason text) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT md5(failure_signature(reason))::uuid $$;

-- +goose Down
DROP FUNCTION IF EXISTS failure_signature_id(text);
DROP FUNCTION IF EXISTS failure_signature(text);
