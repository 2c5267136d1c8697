# test_install.sh: `make install` puts the program, the library (shared and
# static), the headers, a relocatable pkg-config file and the man page under
# a prefix, and a program built with pkg-config against it runs.
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
finish
