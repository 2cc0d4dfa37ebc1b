# Writes OUT: the CUDA source IN as C++ for the host emulation (cuda_runtime.h here), each kernel launch
# `k<<<config>>>(args)` turned into `::dbn4j_host::Launch(config).run([=](const auto &...a_) { k(a_...); }, args)`.
# A `#line` keeps compiler messages on IN's lines. Run: cmake -DIN=<file.cu> -DOUT=<file.cpp> -P rewrite.cmake
file(READ "${IN}" text)
set(kernel "([A-Za-z_][A-Za-z0-9_]*(<[A-Za-z0-9_, ]*>)?)")
string(REGEX REPLACE "${kernel}<<<([^>]*)>>>\\(\\)" "::dbn4j_host::Launch(\\3).run([=]() { \\1(); })" text "${text}")
string(REGEX REPLACE "${kernel}<<<([^>]*)>>>\\("
       "::dbn4j_host::Launch(\\3).run([=](const auto &...a_) { \\1(a_...); }, " text "${text}")
if(text MATCHES "<<<")
  message(FATAL_ERROR "${IN}: a kernel launch that rewrite.cmake does not understand")
endif()
get_filename_component(name "${IN}" NAME)
file(WRITE "${OUT}.tmp" "#line 1 \"${name}\"\n${text}")
configure_file("${OUT}.tmp" "${OUT}" COPYONLY)
file(REMOVE "${OUT}.tmp")
