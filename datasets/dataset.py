"""One split of a converted dataset, and the tf.data pipeline that reads it.

`Dataset` is what the training and eval binaries get from
dataset_factory.get_dataset: the counts they need and `input_dataset`, which
builds batches of preprocessed images from the TFRecord shards:

  shard files -> [shard per worker] -> parallel interleave of TFRecord readers
  -> parse + decode (parallel) -> [cache decoded images, small datasets]
  -> shuffle / repeat (training) -> preprocess (parallel) -> batch -> prefetch

It works eagerly and in tf.compat.v1 graphs (make_one_shot_iterator or
make_initializable_iterator); there are no queue runners.
"""

import glob
import os

import tensorflow as tf

from datasets import dataset_info
from datasets import tfexample
from preprocessing import mobilenet_v1_preprocessing
from preprocessing import preprocessing_factory

AUTOTUNE = tf.data.AUTOTUNE
# Decoded images are cached in memory when they take less than this.
CACHE_LIMIT_BYTES = 512 * 1024 * 1024
# Shuffle buffer (records) when the dataset is not cached decoded.
SHUFFLE_BUFFER = 2048
# Shard files read at once.
CYCLE_LENGTH = 8
_READ_BUFFER_BYTES = 8 * 1024 * 1024


class Dataset(object):
  """One split: counts, label names, preprocessing defaults, input builder.

  Attributes:
    name: 'imagenet', 'digits' or 'custom'.
    split_name: 'train' or 'validation'.
    dataset_dir: the directory of the shards.
    filenames: the shard files, sorted.
    num_samples: examples in the split.
    num_classes: logits the classifier needs (ImageNet: 1001, with
      background).
    labels_offset: labels below this are not real classes (ImageNet: 1,
      label 0 is background and never occurs; others: 0). Labels are
      yielded as stored; a model without the background class subtracts
      this from the labels and uses num_classes - labels_offset logits.
    label_names: {label: name}, or None when unknown.
    preprocessing: the preprocessing style for this data, a name of
      mobilenet_v1_preprocessing.STYLES ('inception' or 'gentle'; see
      dataset_factory for how it is chosen).
    max_image_size: (height, width) of the largest image, or None if not
      recorded.
  """

  def __init__(self, name, split_name, dataset_dir, filenames, num_samples,
               num_classes, labels_offset, label_names, preprocessing,
               max_image_size=None):
    self.name = name
    self.split_name = split_name
    self.dataset_dir = dataset_dir
    self.filenames = sorted(filenames)
    self.num_samples = int(num_samples)
    self.num_classes = int(num_classes)
    self.labels_offset = int(labels_offset)
    self.label_names = label_names
    if preprocessing not in mobilenet_v1_preprocessing.STYLES:
      raise dataset_info.DatasetError(
          'unknown preprocessing %r (known: %s)' % (
              preprocessing,
              ', '.join(sorted(mobilenet_v1_preprocessing.STYLES))))
    self.preprocessing = preprocessing
    self.max_image_size = tuple(max_image_size) if max_image_size else None

  def __repr__(self):
    return ('Dataset(name=%r, split_name=%r, num_samples=%d, num_classes=%d, '
            'labels_offset=%d, preprocessing=%r, dataset_dir=%r)' % (
                self.name, self.split_name, self.num_samples,
                self.num_classes, self.labels_offset, self.preprocessing,
                self.dataset_dir))

  def resolve_num_classes(self, num_classes=None):
    """(logits, label shift) of a classifier with `num_classes` on this data.

    None or self.num_classes (ImageNet: 1001, with the background class 0)
    keeps the labels as stored; num_classes - labels_offset (1000) drops the
    background class by shifting the labels down.

    Raises:
      dataset_info.DatasetError: a count that fits neither.
    """
    if num_classes is None or num_classes == self.num_classes:
      return self.num_classes, 0
    without_offset = self.num_classes - self.labels_offset
    if self.labels_offset and num_classes == without_offset:
      return without_offset, self.labels_offset
    choices = sorted({self.num_classes, without_offset})
    raise dataset_info.DatasetError(
        '--num_classes %d does not fit the %s dataset (%s)' %
        (num_classes, self.name, ' or '.join(str(c) for c in choices)))

  def examples_to_evaluate(self, num_examples=None):
    """How many examples an eval of --num_examples reads (None: all).

    Raises:
      dataset_info.DatasetError: more than the split has.
    """
    wanted = num_examples or self.num_samples
    if wanted > self.num_samples:
      raise dataset_info.DatasetError(
          '--num_examples %d is more than the %d examples of %s/%s' %
          (wanted, self.num_samples, self.name, self.split_name))
    return wanted

  @property
  def preprocessing_kwargs(self):
    """The preprocessing arguments of self.preprocessing."""
    return dict(mobilenet_v1_preprocessing.STYLES[self.preprocessing])

  def decoded_size_bytes(self):
    """Memory for all images decoded, or None if the image size is unknown."""
    if not self.max_image_size:
      return None
    height, width = self.max_image_size
    return self.num_samples * height * width * 3

  def caches_decoded_by_default(self):
    """True when the decoded images fit in CACHE_LIMIT_BYTES (and are known).

    input_dataset caches decoded images then unless told otherwise.
    """
    size = self.decoded_size_bytes()
    return size is not None and size <= CACHE_LIMIT_BYTES

  def input_dataset(self, batch_size, image_size, is_training,
                    preprocessing_kwargs=None, num_epochs=None,
                    shuffle_seed=None, num_shards=1, shard_index=0,
                    cache_decoded=None):
    """(images float32 [B, H, W, 3] in [-1, 1], labels int64 [B]) batches.

    Args:
      batch_size: images per batch.
      image_size: the model's input size, an int or (height, width).
      is_training: True: shuffled, repeated (forever unless num_epochs),
        distorted preprocessing, only full batches (a fixed batch shape).
        False: one pass (or num_epochs) in a fixed order, eval preprocessing,
        the last partial batch kept, so each example is seen exactly once.
      preprocessing_kwargs: overrides of self.preprocessing_kwargs.
      num_epochs: passes over the data; None: forever when training, once
        for eval.
      shuffle_seed: makes the training order reproducible (the parallel
        stages then also keep a fixed element order, as they do for eval).
      num_shards, shard_index: this worker's part when num_shards workers
        read the split: by shard file when there are enough files, else by
        example. Workers see disjoint parts that together cover the split.
      cache_decoded: keep decoded images in memory after the first pass;
        None: when they fit in CACHE_LIMIT_BYTES
        (caches_decoded_by_default).
    """
    if isinstance(image_size, int):
      height = width = image_size
    else:
      height, width = image_size
    if not 0 <= shard_index < num_shards:
      raise ValueError('shard_index %d not in [0, %d)' % (shard_index,
                                                          num_shards))
    # A fixed element order from the parallel stages for eval and seeded
    # training; otherwise whichever finishes first (faster).
    deterministic = (not is_training) or shuffle_seed is not None
    if num_epochs is None and not is_training:
      num_epochs = 1
    if cache_decoded is None:
      cache_decoded = self.caches_decoded_by_default()
    kwargs = dict(self.preprocessing_kwargs)
    kwargs.update(preprocessing_kwargs or {})
    preprocess = preprocessing_factory.get_preprocessing(
        'mobilenet_v1', is_training=is_training)

    filenames = self.filenames
    by_file = num_shards > 1 and len(filenames) >= num_shards
    if by_file:
      filenames = filenames[shard_index::num_shards]
    files = tf.data.Dataset.from_tensor_slices(filenames)
    shuffle_files = is_training and not cache_decoded
    if shuffle_files:
      files = files.shuffle(len(filenames), seed=shuffle_seed,
                            reshuffle_each_iteration=True)
      files = files.repeat(num_epochs)
    records = files.interleave(
        lambda f: tf.data.TFRecordDataset(f, buffer_size=_READ_BUFFER_BYTES),
        cycle_length=min(CYCLE_LENGTH, len(filenames)),
        num_parallel_calls=AUTOTUNE, deterministic=deterministic)
    if num_shards > 1 and not by_file:
      records = records.shard(num_shards, shard_index)

    # Boxes only guide training's distorted crop: eval neither parses nor
    # carries them (its elements are (image, label); bbox=None).
    def parse(serialized):
      encoded, label, boxes = tfexample.parse_record(serialized,
                                                     with_boxes=is_training)
      image = tfexample.decode_image(encoded)
      return (image, label, boxes) if is_training else (image, label)

    def process(image, label, boxes=None):
      image = preprocess(image, height, width, bbox=boxes, **kwargs)
      return image, label

    def parse_and_process(serialized):
      return process(*parse(serialized))

    if cache_decoded:
      data = records.map(parse, num_parallel_calls=AUTOTUNE,
                         deterministic=deterministic).cache()
      if is_training:
        data = data.shuffle(self.num_samples,
                            seed=shuffle_seed, reshuffle_each_iteration=True)
      if num_epochs != 1 or is_training:
        data = data.repeat(num_epochs)
      data = data.map(process, num_parallel_calls=AUTOTUNE,
                      deterministic=deterministic)
    else:
      data = records
      if is_training:
        data = data.shuffle(SHUFFLE_BUFFER,
                            seed=shuffle_seed, reshuffle_each_iteration=True)
      elif num_epochs != 1:
        data = data.repeat(num_epochs)
      data = data.map(parse_and_process, num_parallel_calls=AUTOTUNE,
                      deterministic=deterministic)
    data = data.batch(batch_size, drop_remainder=is_training)
    return data.prefetch(AUTOTUNE)


def corrupt_data_error(dataset, error):
  """A DatasetError naming the shard a tf.errors.DataLossError came from.

  TensorFlow's message ("truncated record at 4008") does not name the file:
  the split's shards are read again, one by one, until one fails.
  """
  for path in dataset.filenames:
    try:
      for _ in tf.compat.v1.io.tf_record_iterator(path):
        pass
    except tf.errors.DataLossError as e:
      return dataset_info.DatasetError(
          '%s is corrupt (%s): convert the data again' % (
              path, ' '.join(str(e.message).split())[:120]))
  return dataset_info.DatasetError(
      'the %s data of %s is corrupt (%s): convert it again' % (
          dataset.split_name, dataset.dataset_dir,
          ' '.join(str(getattr(error, 'message', error)).split())[:120]))


def find_shards(dataset_dir, file_pattern, split_name):
  """The sorted shard files of a split; DatasetError if there are none."""
  filenames = sorted(glob.glob(os.path.join(dataset_dir, file_pattern)))
  if not filenames:
    raise dataset_info.DatasetError('no %s records (%s) in %s' % (
        split_name, file_pattern, dataset_dir))
  return filenames
