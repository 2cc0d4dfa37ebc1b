# dbn4j_rewrite_cuda(IN OUT): writes OUT, the CUDA source IN as C++ for the host emulation (cuda_runtime.h here),
# each kernel launch `k<<<config>>>(args)` turned into
# `::dbn4j_host::Launch(config).run("k", [=](const auto &...a_) { k(a_...); }, args)`, and each `__shared__`
# declaration followed by a call of `::dbn4j_host::fresh_shared` on the same line. A `#line` keeps compiler messages
# on IN's lines. Called at configure time; IN is a configure dependency, so an edited .cu file is rewritten again.
function(dbn4j_rewrite_cuda IN OUT)
  file(READ "${IN}" text)
  set(kernel "([A-Za-z_][A-Za-z0-9_]*(<[A-Za-z0-9_, ]*>)?)")
  string(REGEX REPLACE "${kernel}<<<([^>]*)>>>\\(\\)" "::dbn4j_host::Launch(\\3).run(\"\\1\", [=]() { \\1(); })"
         text "${text}")
  string(REGEX REPLACE "${kernel}<<<([^>]*)>>>\\("
         "::dbn4j_host::Launch(\\3).run(\"\\1\", [=](const auto &...a_) { \\1(a_...); }, " text "${text}")
  # Each __shared__ variable filled with 0xff bytes by the first thread of a block to reach its declaration.
  string(REGEX REPLACE "(__shared__ [A-Za-z_][A-Za-z0-9_ ]* ([A-Za-z_][A-Za-z0-9_]*)(\\[[A-Za-z0-9_ +*/()-]*\\])*;)"
         "\\1 ::dbn4j_host::fresh_shared(&\\2, sizeof \\2);" text "${text}")
  string(REGEX MATCHALL "__shared__" declared "${text}")
  string(REGEX MATCHALL "::dbn4j_host::fresh_shared" filled "${text}")
  list(LENGTH declared n_declared)
  list(LENGTH filled n_filled)
  if(NOT n_declared EQUAL n_filled)
    message(FATAL_ERROR "${IN}: a __shared__ declaration that dbn4j_rewrite_cuda does not understand")
  endif()
  if(text MATCHES "<<<")
    message(FATAL_ERROR "${IN}: a kernel launch that dbn4j_rewrite_cuda does not understand")
  endif()
  get_filename_component(name "${IN}" NAME)
  set(text "#line 1 \"${name}\"\n${text}")
  set(old "")
  if(EXISTS "${OUT}")
    file(READ "${OUT}" old)
  endif()
  if(NOT old STREQUAL text)   # written only when it changed: no needless recompile
    file(WRITE "${OUT}" "${text}")
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${IN}")
endfunction()
