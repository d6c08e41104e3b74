# bitactor_set_warnings(target): the project's warning set, errors in CI.
function(bitactor_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                         -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
                         -Woverloaded-virtual)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 reports false "maybe uninitialized" for std::optional<std::string> at -O2.
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
  if(BITACTOR_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
