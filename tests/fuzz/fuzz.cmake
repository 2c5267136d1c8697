# fuzz.cmake: the fuzz harnesses of tests/fuzz (included by CMakeLists.txt).
#
# Normally each harness is linked with replay.c, a plain main, and ctest runs
# it over its saved corpus tests/fuzz/corpus/NAME (labels unit and fuzz, so
# that `make check-asan` replays them under the sanitizers too). With
# CUTOVER_FUZZ=ON (clang; `make fuzz`) each is a libFuzzer program instead.
set(CUTOVER_FUZZ_HARNESSES project csv json serve text)
foreach(name ${CUTOVER_FUZZ_HARNESSES})
  if(CUTOVER_FUZZ)
    add_executable(fuzz_${name} tests/fuzz/fuzz_${name}.c)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
  else()
    add_executable(fuzz_${name} tests/fuzz/fuzz_${name}.c tests/fuzz/replay.c)
    add_test(NAME fuzz/${name}
      COMMAND fuzz_${name} ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${name})
    set_tests_properties(fuzz/${name} PROPERTIES LABELS "unit;fuzz" TIMEOUT 300)
  endif()
  target_link_libraries(fuzz_${name} PRIVATE cutover_static)
endforeach()
