"""Points Bazel's Python toolchain at the project's virtualenv.

Bazel 4 autodetects `python3` on PATH; this project wants the interpreter of
`<workspace>/.venv` (created by tools/setup.sh) with no activation step. The
repository rule writes a py_runtime with that absolute path, the way
TensorFlow's own python_configure does.
"""

_BUILD = """\
load("@bazel_tools//tools/python:toolchain.bzl", "py_runtime_pair")

py_runtime(
    name = "venv_py3",
    interpreter_path = "{interpreter}",
    python_version = "PY3",
)

py_runtime_pair(
    name = "venv_runtime_pair",
    py3_runtime = ":venv_py3",
)

toolchain(
    name = "toolchain",
    toolchain = ":venv_runtime_pair",
    toolchain_type = "@bazel_tools//tools/python:toolchain_type",
)
"""

def _venv_python_impl(repository_ctx):
    workspace = repository_ctx.path(Label("//:WORKSPACE")).dirname
    interpreter = "%s/%s" % (workspace, repository_ctx.attr.venv_python)
    repository_ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % repository_ctx.name)
    repository_ctx.file("BUILD", _BUILD.format(interpreter = interpreter))

venv_python = repository_rule(
    implementation = _venv_python_impl,
    attrs = {
        "venv_python": attr.string(
            default = ".venv/bin/python3",
            doc = "Interpreter path relative to the workspace root.",
        ),
    },
    local = True,
)
