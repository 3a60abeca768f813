"""Any directory with a dataset_info.json: everything from its metadata.

The one reader of described directories: build_image_data's output, the
digits cache and build_imagenet_data's output (ImageNet or a subset) alike.
Class count, labels offset, split sizes, shard names and the largest image
size come from dataset_info.json, label names from labels.txt.
"""

from datasets import dataset
from datasets import dataset_info

NAME = 'custom'


def get_split(split_name, dataset_dir, info, preprocessing, name=NAME):
  """The Dataset of `split_name` described by `info` (dataset_info.json).

  preprocessing is the Dataset's style (dataset_factory chooses it).

  Raises:
    dataset_info.DatasetError: unknown or empty split, missing shards.
  """
  split = info['splits'].get(split_name)
  if split is None:
    raise dataset_info.DatasetError('unknown split %r in %s (known: %s)' % (
        split_name, dataset_dir, ', '.join(sorted(info['splits']))))
  if not split.get('num_samples'):
    raise dataset_info.DatasetError('the %s split of %s has no examples' %
                                    (split_name, dataset_dir))
  filenames = dataset.find_shards(dataset_dir, split['file_pattern'],
                                  split_name)
  if len(filenames) != split['num_shards']:
    raise dataset_info.DatasetError('%s: %d of %d %s shards found' % (
        dataset_dir, len(filenames), split['num_shards'], split_name))
  return dataset.Dataset(
      name=name, split_name=split_name, dataset_dir=dataset_dir,
      filenames=filenames, num_samples=split['num_samples'],
      num_classes=info['num_classes'], labels_offset=info['labels_offset'],
      label_names=dataset_info.read_labels(dataset_dir),
      preprocessing=preprocessing,
      max_image_size=info.get('max_image_size'))
