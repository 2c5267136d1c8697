# test_install.sh: `make install` puts the program, the library (shared and
# static), the headers, a relocatable pkg-config file and the man page under
# a prefix, and a program built with pkg-config against it runs, linked
# to the shared library or, with --static, to the static one. The shared
# library exports exactly the functions the installed headers declare.
source "$(dirname "$0")/lib.sh"

prefix=$WORK/prefix
cmake --install "$(dirname "$CUTOVER")" --prefix "$prefix" >/dev/null
assert_eq "install succeeds" 0 "$?"
for f in bin/cutover lib/libcutover.a lib/libcutover.so include/cutover/migrate.h \
         include/cutover/verify.h include/cutover/cutover.h include/cutover/version.h \
         include/cutover/export.h lib/pkgconfig/cutover.pc share/man/man1/cutover.1; do
  if [[ -e $prefix/$f ]]; then pass "installed $f"; else fail "missing $f"; fi
done
assert_contains "the installed program runs" "cutover " "$("$prefix/bin/cutover" version)"
if [[ -e $prefix/include/cutover/version.h.in ]]; then fail "version.h.in installed"; else pass "version.h.in not installed"; fi

# Only the umbrella header and only what pkg-config says: the version, a
# project parsed, and an opaque co_buf filled by a library function.
cat > "$WORK/use.c" <<'C'
#include <cutover/cutover.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
    if (strcmp(co_version(), CUTOVER_VERSION) != 0)
        return 2;
    co_project *p = NULL;
    co_error err;
    co_error_clear(&err);
    const char *text = co_project_starter();
    co_code rc = co_project_parse(text, strlen(text), "starter", ".", &p, &err);
    co_store *s = NULL;
    co_buf *b = co_buf_new();
    if (rc == CO_OK && b && co_store_open("sqlite::memory:", CO_SIDE_SOURCE, ".", &s, &err) == CO_OK)
        co_store_quote_ident(s, "a\"b", b);
    printf("%s %d %zu %s %zu\n", co_version(), (int)rc, p ? p->nentities : 0, co_buf_str(b),
           co_buf_len(b));
    co_store_close(s);
    co_buf_free(b);
    co_project_free(p);
    return rc == CO_OK ? 0 : 1;
}
C
flags=$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs cutover)
cc -std=c11 -Wall -Wextra -Werror "$WORK/use.c" $flags -Wl,-rpath,"$prefix/lib" -o "$WORK/use"
assert_eq "a program builds against the installed library" 0 "$?"
version=$("$prefix/bin/cutover" version | cut -d' ' -f2)
assert_eq "and runs" "$version 0 2 \"a\"\"b\" 6" "$("$WORK/use")"
assert_eq "cutover --version is co_version()" "cutover $version" "$("$prefix/bin/cutover" --version)"

# The exported names are exactly the functions the installed headers
# declare: every exported symbol a public co_ name, every declared function
# exported (a CO_API left off hides it).
nm -D --defined-only "$prefix/lib/libcutover.so" | awk '{print $3}' | sort -u > "$WORK/exported"
python3 - "$prefix/include/cutover" > "$WORK/declared" <<'PY'
import glob, re, sys
names = set()
for path in glob.glob(sys.argv[1] + "/*.h"):
    text = re.sub(r"/\*.*?\*/", " ", open(path).read(), flags=re.S)
    text = re.sub(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", " ", text, flags=re.M)
    depth, stmt = 0, ""
    for ch in text:
        if ch == "{":
            depth += 1
        if depth == 0:
            stmt += ch
        if ch == "}":
            depth -= 1
        if depth == 0 and ch in ";}":
            s = stmt.strip()
            m = re.search(r"\b(co_\w+)\s*\(", s)
            if m and not s.startswith(("typedef", "static")) and "(*" not in s[: m.end()]:
                names.add(m.group(1))
            stmt = ""
print("\n".join(sorted(names)))
PY
assert_eq "the installed headers declare functions" 1 "$([[ $(wc -l < "$WORK/declared") -gt 200 ]] && echo 1)"
assert_eq "every exported symbol is a co_ name" "" "$(grep -v '^co_' "$WORK/exported" | head -5 | tr '\n' ' ')"
assert_eq "every exported symbol is declared in include/cutover" "" \
  "$(comm -23 "$WORK/exported" "$WORK/declared" | head -5 | tr '\n' ' ')"
assert_eq "every function the headers declare is exported" "" \
  "$(comm -13 "$WORK/exported" "$WORK/declared" | head -5 | tr '\n' ' ')"

# Statically against libcutover.a, every object of it (the HTTP server
# included), with only the libraries cutover.pc lists (Requires.private,
# Libs.private): one missing leaves undefined references. The libraries
# themselves are linked shared: Debian's libpq.pc names static-only archives
# (-lpgcommon) that libpq-dev does not ship, so a fully static link cannot work.
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
assert_contains "the static link needs libmicrohttpd" "-lmicrohttpd" "$(pkg-config --static --libs cutover)"
requires=$(pkg-config --print-requires-private cutover | awk '{print $1}' | tr '\n' ' ')
private=$(sed -n 's/^Libs.private: //p' "$prefix/lib/pkgconfig/cutover.pc")
cc "$WORK/use.c" $(pkg-config --cflags cutover) \
  -Wl,--whole-archive "$prefix/lib/libcutover.a" -Wl,--no-whole-archive \
  $(pkg-config --libs $requires) $private -o "$WORK/use-static" 2> "$WORK/static.err"
assert_eq "a program links all of libcutover.a with what cutover.pc lists" "0 " \
  "$? $(grep -m 3 'undefined reference' "$WORK/static.err")"
assert_eq "and runs" "$version 0 2 \"a\"\"b\" 6" "$("$WORK/use-static")"
finish
