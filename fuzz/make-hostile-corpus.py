#!/usr/bin/env python3
"""Writes the hostile seeds of the term fuzz corpora (small files, checked in).

fuzz/corpus/term_decode/hostile_*.etf: invalid and hostile external-format frames (truncated
terms, huge declared lengths, deep nesting, bad atoms and bad UTF-8, FUN_EXT, compressed
bombs, NaN floats, ...), beside erl's valid encodings that fuzz/make-corpus.erl writes.
fuzz/corpus/term_parse/*.txt: valid and invalid Erlang term text for term_parse_fuzz.
Usage: fuzz/make-hostile-corpus.py   (from the repository root)
"""
import os
import struct
import zlib

DECODE = "fuzz/corpus/term_decode"
PARSE = "fuzz/corpus/term_parse"


def u16(n):
    return struct.pack(">H", n)


def u32(n):
    return struct.pack(">I", n)


def atom(name):
    return bytes([119, len(name)]) + name


def pid(node=b"n@h"):
    return bytes([88]) + atom(node) + u32(1) + u32(0) + u32(0)


def etf(payload):
    return bytes([131]) + payload


def compressed(declared, stream):
    return bytes([131, 80]) + u32(declared) + stream


tuple3 = etf(bytes([104, 3, 97, 1, 119, 2]) + b"ok" + bytes([106]))
nested = etf(bytes([108]) + u32(2) + bytes([97, 1, 104, 1, 119, 1]) + b"a" + bytes([106]))

decode_seeds = {
    # Truncated terms: every prefix of a valid one is an error.
    "truncated_tuple": tuple3[:5],
    "truncated_list": nested[:9],
    "truncated_atom": etf(bytes([119, 10]) + b"abc"),
    "truncated_float": etf(bytes([70, 0x40, 0x09])),
    "truncated_pid": etf(bytes([88]) + atom(b"n@h") + u32(1)),
    # Declared lengths far beyond the input.
    "huge_list": etf(bytes([108]) + u32(0xFFFFFFFF)),
    "huge_tuple": etf(bytes([105]) + u32(0xFFFFFFFF)),
    "huge_map": etf(bytes([116]) + u32(0xFFFFFFFF)),
    "huge_binary": etf(bytes([109]) + u32(0xFFFFFFFF) + b"x"),
    "huge_bitstring": etf(bytes([77]) + u32(0xFFFFFFFF) + bytes([3, 1])),
    "huge_bignum": etf(bytes([111]) + u32(0xFFFFFFFF) + bytes([0, 1])),
    "huge_string": etf(bytes([107]) + u16(0xFFFF) + b"ab"),
    "huge_atom": etf(bytes([118]) + u16(0xFFFF) + b"ab"),
    "huge_fun_free_vars": etf(bytes([112]) + u32(100) + bytes([1]) + bytes(16) + u32(0) +
                              u32(0xFFFFFFFF)),
    # Nesting past the decoder's limits (512 by default, 2048 at most) and within them.
    "deep_lists": etf((bytes([108]) + u32(1)) * 600 + bytes([106]) * 601),
    "deep_tuples": etf(bytes([104, 1]) * 600 + bytes([106])),
    "deep_maps": etf((bytes([116]) + u32(1) + bytes([97, 1])) * 600 + bytes([106])),
    "nested_within_limit": etf(bytes([104, 1]) * 150 + bytes([106])),
    # Bad atoms and bad UTF-8.
    "atom_overlong_utf8": etf(bytes([119, 2, 0xC0, 0x80])),
    "atom_invalid_byte": etf(bytes([119, 1, 0xFF])),
    "atom_surrogate": etf(bytes([119, 3, 0xED, 0xA0, 0x80])),
    "atom_truncated_utf8": etf(bytes([119, 2, 0xE2, 0x82])),
    "atom_above_10ffff": etf(bytes([119, 4, 0xF4, 0x90, 0x80, 0x80])),
    "atom_256_chars": etf(bytes([118]) + u16(256) + b"a" * 256),
    "latin1_atom_300": etf(bytes([100]) + u16(300) + b"b" * 300),
    "pid_node_not_atom": etf(bytes([88, 97, 1]) + u32(1) + u32(0) + u32(0)),
    "many_new_atoms": etf(bytes([108]) + u32(200) +
                          b"".join(atom(b"seed_atom_%d" % i) for i in range(200)) + bytes([106])),
    # Tags that are refused.
    "fun_ext": etf(bytes([117]) + u32(0) + pid() + atom(b"m") + bytes([97, 0, 97, 0])),
    "new_fun_bad_size": etf(bytes([112]) + u32(7) + bytes([0]) + bytes(16) + u32(0) + u32(0) +
                            atom(b"m") + bytes([97, 0, 97, 0]) + pid()),
    "atom_cache_ref": etf(bytes([82, 0])),
    "nested_local_ext": etf(bytes([104, 1, 121, 1, 2, 3])),
    "unknown_tag": etf(bytes([200])),
    "bad_version": bytes([130, 106]),
    "empty_after_version": bytes([131]),
    # Bad values.
    "nan_float": etf(bytes([70]) + struct.pack(">d", float("nan"))),
    "infinite_float": etf(bytes([70]) + struct.pack(">d", float("inf"))),
    "old_float_garbage": etf(bytes([99]) + b"1.0e99999".ljust(31, b"\0")),
    "bignum_bad_sign": etf(bytes([110, 1, 2, 7])),
    "bitstring_zero_bits": etf(bytes([77]) + u32(1) + bytes([0, 0xFF])),
    "bitstring_nine_bits": etf(bytes([77]) + u32(1) + bytes([9, 0xFF])),
    "reference_zero_words": etf(bytes([90]) + u16(0) + atom(b"n@h") + u32(0)),
    "reference_six_words": etf(bytes([90]) + u16(6) + atom(b"n@h") + u32(0) + bytes(24)),
    "map_duplicate_keys": etf(bytes([116]) + u32(2) + bytes([97, 1, 97, 2, 97, 1, 97, 3])),
    "export_arity_not_small": etf(bytes([113]) + atom(b"m") + atom(b"f") + bytes([98]) + u32(1)),
    "trailing_bytes": etf(bytes([106, 106])),
    # Compressed bombs and broken streams.
    "zlib_declares_4gb": compressed(0xFFFFFFFF, zlib.compress(bytes([106]))),
    "zlib_inflates_past_declared": compressed(1000, zlib.compress(bytes([107]) + u16(60000) +
                                                                  bytes(60000), 9)),
    "zlib_inflates_short": compressed(100, zlib.compress(bytes([106]))),
    "zlib_declares_zero": compressed(0, zlib.compress(bytes([106]))),
    "zlib_garbage": compressed(10, b"\x78\x9c\xff\xff\xff\xff"),
    "zlib_truncated_header": bytes([131, 80, 0, 0]),
    "zlib_nested": compressed(8, zlib.compress(bytes([80]) + u32(1) + bytes([106]))),
}

parse_seeds = {
    "tuple": "{ok,[1,2,3],\"two\",<<3>>}",
    "map": "#{a => 1, <<\"b\">> => [2], {c} => #{}}",
    "numbers": "[16#FF, 2#1010, 36#zz, $a, $\\n, 1_000, -12, 1.5e-3, 2.0, -0.0]",
    "big": "[" + "9" * 400 + ", -" + "1" * 300 + "]",
    "strings": "[\"a\\n\\t\\x{1F600}\\e\" \"concatenated\", 'quoted atom', 'it''s']",
    "bitstrings": "[<<1,2:3>>, <<\"abc\">>, <<>>, <<255,5:4>>]",
    "improper": "[a,b|c].",
    "comment": "% a comment\n{a, % inline\n b}",
    "utf8_atom": "['Ωλ', \"héllo ✓\"]",
    "deep_ok": "[" * 900 + "]" * 900,
    "deep_too_much": "{" * 1100 + "}" * 1100,
    "unterminated_string": "\"abc",
    "unterminated_tuple": "{a,b",
    "bad_escape": "\"\\x{110000}\"",
    "bad_base": "37#1",
    "bad_bit_size": "<<1:0>>",
    "bad_utf8": b"\"\xff\xfe\"",
    "trailing": "{a}. b",
    "pid_literal": "<0.1.0>",
    "fun_literal": "fun m:f/1",
}


def main():
    os.makedirs(DECODE, exist_ok=True)
    os.makedirs(PARSE, exist_ok=True)
    for name, data in decode_seeds.items():
        with open(os.path.join(DECODE, "hostile_" + name + ".etf"), "wb") as f:
            f.write(data)
    for name, text in parse_seeds.items():
        with open(os.path.join(PARSE, name + ".txt"), "wb") as f:
            f.write(text if isinstance(text, bytes) else text.encode("utf-8"))


main()
