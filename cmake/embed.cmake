# Turns the text file IN into a C file OUT defining `const char SYMBOL[]`,
# NUL-terminated. Run with cmake -P by the cutover_embed() function.
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUT}" "/* generated from ${IN}: do not edit */\nconst char ${SYMBOL}[] = {${bytes}0x00};\n")
