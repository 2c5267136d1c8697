# test_install.sh: `make install` puts the program, the library (shared and
# static), the headers, a relocatable pkg-config file and the man page under
# a prefix, and a program built with pkg-config against it runs, linked
# to the shared library or, with --static, to the static one.
source "$(dirname "$0")/lib.sh"

prefix=$WORK/prefix
cmake --install "$(dirname "$CUTOVER")" --prefix "$prefix" >/dev/null
assert_eq "install succeeds" 0 "$?"
for f in bin/cutover lib/libcutover.a lib/libcutover.so include/cutover/migrate.h \
         include/cutover/verify.h lib/pkgconfig/cutover.pc share/man/man1/cutover.1; do
  if [[ -e $prefix/$f ]]; then pass "installed $f"; else fail "missing $f"; fi
done
assert_contains "the installed program runs" "cutover " "$("$prefix/bin/cutover" version)"

cat > "$WORK/use.c" <<'C'
#include <cutover/project.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
    co_project *p = NULL;
    co_error err;
    co_error_clear(&err);
    const char *text = co_project_starter();
    co_code rc = co_project_parse(text, strlen(text), "starter", ".", &p, &err);
    printf("%d %zu\n", (int)rc, p ? p->nentities : 0);
    co_project_free(p);
    return rc == CO_OK ? 0 : 1;
}
C
flags=$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs cutover)
cc "$WORK/use.c" $flags -Wl,-rpath,"$prefix/lib" -o "$WORK/use"
assert_eq "a program builds against the installed library" 0 "$?"
assert_eq "and runs" "0 2" "$("$WORK/use")"

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
assert_eq "and runs" "0 2" "$("$WORK/use-static")"
finish
