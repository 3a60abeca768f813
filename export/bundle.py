"""The published bundle: what `<model>.tgz` holds and what its files are called.

The one place that knows a bundle's format (the exporter writes it; the
release, label_image, the reports and the demo read it). As the original
downloads, `<model>.tgz` (e.g. mobilenet_v1_0.5_160_quant.tgz) holds at its
top level exactly:

  <model>.ckpt.data-00000-of-00001, <model>.ckpt.index, <model>.ckpt.meta
      the checkpoint, with the meta graph of the eval graph: it restores into
      a freshly built graph of the variant, or by itself through
      tf.train.import_meta_graph;
  <model>_eval.pbtxt    the eval graph (fake-quantized for _quant), as text;
  <model>_frozen.pb     the frozen graph: float input `input` [1, H, W, 3],
                        output `MobilenetV1/Predictions/Reshape_1` (the
                        fake-quant nodes kept for _quant);
  <model>_info.txt      names, shapes, normalization, MACs, parameters;
  <model>.tflite        float, or for _quant fully quantized: int8 inside by
                        default, or uint8 throughout (the TOCO-era file);
                        both take uint8 input (mean 128, std 128) and give
                        uint8 output. The info file's `TFLite format` line
                        says which.
"""

import collections
import contextlib
import hashlib
import os
import shutil
import tarfile

from core import errors
from core import scratch

# Bumped when what a bundle holds changes: the release rebuilds older ones.
# 2: _quant bundles hold an int8 .tflite by default; the info file names the
# format.
FORMAT_VERSION = 2
ARCHIVE_SUFFIX = '.tgz'
_INFO_SUFFIX = '_info.txt'

Members = collections.namedtuple('Members', [
    'checkpoint_data', 'checkpoint_index', 'checkpoint_meta', 'eval_graph',
    'frozen_graph', 'info', 'tflite'])


def checkpoint_prefix(name):
  """'mobilenet_v1_1.0_224' -> 'mobilenet_v1_1.0_224.ckpt'."""
  return name + '.ckpt'


def members(name):
  """The file names a bundle of model `name` holds (Members)."""
  prefix = checkpoint_prefix(name)
  return Members(
      checkpoint_data=prefix + '.data-00000-of-00001',
      checkpoint_index=prefix + '.index',
      checkpoint_meta=prefix + '.meta',
      eval_graph=name + '_eval.pbtxt',
      frozen_graph=name + '_frozen.pb',
      info=name + _INFO_SUFFIX,
      tflite=name + '.tflite')


def member_path(directory, name, kind):
  """The path of member `kind` (a Members field, e.g. 'tflite') of the
  bundle of model `name` extracted in `directory`.

  Raises:
    errors.BadInputError: the bundle has no such file.
  """
  path = os.path.join(directory, getattr(members(name), kind))
  if not os.path.isfile(path):
    raise errors.BadInputError('the bundle has no %s' % os.path.basename(path))
  return path


def read_member(bundle_path, kind):
  """The bytes of member `kind` (e.g. 'tflite') of a bundle (.tgz or
  extracted directory).

  Raises:
    errors.BadInputError: not a bundle, or no such file in it.
  """
  with opened(bundle_path) as (directory, name):
    with open(member_path(directory, name, kind), 'rb') as f:
      return f.read()


def archive_filename(name):
  return name + ARCHIVE_SUFFIX


def name_of_info_file(filename):
  """'x_info.txt' -> 'x', else None."""
  if filename.endswith(_INFO_SUFFIX):
    return filename[:-len(_INFO_SUFFIX)]
  return None


def _normalized(tarinfo):
  tarinfo.uid = tarinfo.gid = 0
  tarinfo.uname = tarinfo.gname = ''
  tarinfo.mode = 0o644
  return tarinfo


def write_archive(directory, name, path):
  """Packs the bundle files of `directory` (exactly members(name)) to path."""
  with tarfile.open(path, 'w:gz') as tar:
    for member in members(name):
      tar.add(os.path.join(directory, member), arcname=member,
              recursive=False, filter=_normalized)


def update_digest(digest, path):
  """Feeds the contents of file `path` to a hashlib digest, 1 MiB at a time."""
  with open(path, 'rb') as f:
    for block in iter(lambda: f.read(1 << 20), b''):
      digest.update(block)


def sha256_of(path):
  digest = hashlib.sha256()
  update_digest(digest, path)
  return digest.hexdigest()


@contextlib.contextmanager
def opened(path):
  """A bundle (.tgz or an extracted directory) as (directory, name).

  A .tgz is extracted into a scratch directory (core.scratch); only
  plain files at the archive's top level are extracted.

  Raises:
    errors.BadInputError: not a bundle.
  """
  if os.path.isdir(path):
    names = [n for n in (name_of_info_file(f) for f in os.listdir(path)) if n]
    if len(names) != 1:
      raise errors.BadInputError('%s is not a bundle directory (expected one '
                                 '<model>_info.txt, found %d)' %
                                 (path, len(names)))
    yield path, names[0]
    return
  if not os.path.isfile(path):
    raise errors.BadInputError('bundle does not exist: %s' % path)
  with scratch.scratch_dir('bundle') as temp:
    try:
      with tarfile.open(path, 'r:*') as tar:
        entries = [m for m in tar.getmembers()
                   if m.isfile() and '/' not in m.name and m.name not in (
                       '.', '..')]
        for entry in entries:
          with tar.extractfile(entry) as src, open(
              os.path.join(temp, entry.name), 'wb') as dst:
            shutil.copyfileobj(src, dst)
    except (tarfile.TarError, OSError, EOFError) as e:
      raise errors.BadInputError('%s is not a readable .tgz bundle: %s' %
                                 (path, errors.one_line(e))) from e
    names = [n for n in (name_of_info_file(e.name) for e in entries) if n]
    if len(names) != 1:
      raise errors.BadInputError('%s is not a bundle (expected one '
                                 '<model>_info.txt in it)' % path)
    yield temp, names[0]
